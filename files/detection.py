"""What a file really is, judged from its bytes, not from its name or the browser's header."""

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from typing import BinaryIO


@dataclass(frozen=True)
class FileKind:
    kind: str
    content_type: str
    label: str


KINDS = {
    "text": FileKind("text", "text/plain", "plain text"),
    "markdown": FileKind("markdown", "text/markdown", "Markdown"),
    "csv": FileKind("csv", "text/csv", "CSV"),
    "json": FileKind("json", "application/json", "JSON"),
    "html": FileKind("html", "text/html", "HTML"),
    "pdf": FileKind("pdf", "application/pdf", "PDF"),
    "docx": FileKind(
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word (.docx)",
    ),
    "xlsx": FileKind(
        "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (.xlsx)"
    ),
}
ACCEPTED_DESCRIPTION = ", ".join(kind.label for kind in KINDS.values())

_SNIFF_BYTES = 64 * 1024


def _zip_kind(stream: BinaryIO) -> FileKind | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return KINDS["docx"]
    if "xl/workbook.xml" in names:
        return KINDS["xlsx"]
    return None


def _text_kind(text: str, name: str) -> FileKind:
    stripped = text.lstrip("\ufeff \t\r\n")
    lowered = stripped[:200].lower()
    if lowered.startswith(("<!doctype html", "<html")) or "<body" in lowered:
        return KINDS["html"]
    if stripped[:1] in "[{":
        try:
            json.loads(text)
        except ValueError:
            pass
        else:
            return KINDS["json"]
    lower_name = name.lower()
    if lower_name.endswith((".md", ".markdown")):
        return KINDS["markdown"]
    if lower_name.endswith(".csv") or _looks_like_csv(text):
        return KINDS["csv"]
    return KINDS["text"]


def _looks_like_csv(text: str) -> bool:
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if len(lines) < 2:
        return False
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t")
    except csv.Error:
        return False
    counts = {len(row) for row in csv.reader(io.StringIO("\n".join(lines)), dialect)}
    return len(counts) == 1 and counts.pop() > 1


def detect_kind(stream: BinaryIO, name: str) -> FileKind | None:
    """The kind of an accepted file, or None. Text kinds use the name only to tell Markdown
    from plain text, which no byte can tell apart."""
    stream.seek(0)
    head = stream.read(_SNIFF_BYTES)
    stream.seek(0)
    if head.startswith(b"%PDF-"):
        return KINDS["pdf"]
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(stream)
        stream.seek(0)
        return kind
    if b"\x00" in head:
        return None  # binary of a kind we do not read
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the sniffing boundary is still text.
        if error.start < len(head) - 4:
            return None
        text = head[: error.start].decode("utf-8")
    return _text_kind(text, name)
