"""Text out of each accepted kind of file, with a reason a person understands when it fails.

Every reader streams and counts as it goes, and stops at the first limit it passes (pages, rows,
paragraphs, characters), so a small file that unpacks into millions of parts fails quickly
instead of filling memory. This module runs in the sandboxed child process (files/sandbox.py)
and needs no Django.
"""

import csv
import html
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

import nh3


class ExtractionError(Exception):
    pass


@dataclass(frozen=True)
class Limits:
    pages: int = 2_000
    rows: int = 200_000
    paragraphs: int = 200_000
    chars: int = 5_000_000
    # Uncompressed size of the XML inside a .docx or .xlsx.
    xml_bytes: int = 200 * 1024 * 1024


@dataclass(frozen=True)
class ExtractedText:
    text: str
    page_count: int | None = None
    row_count: int | None = None


class _Text:
    """Text gathered piece by piece, refused as soon as it passes the character limit."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.parts: list[str] = []
        self.chars = 0

    def add(self, piece: str) -> None:
        self.chars += len(piece) + 2
        if self.chars > self.limits.chars:
            raise ExtractionError(
                f"This file holds more than {self.limits.chars:,} characters of text, "
                "more than can be used for answers. Split it into smaller files."
            )
        self.parts.append(piece)

    def joined(self, separator: str) -> str:
        return separator.join(self.parts)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExtractionError("The file is not valid UTF-8 text.") from error


def _pdf(stream: BinaryIO, limits: Limits) -> ExtractedText:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError

    try:
        reader = PdfReader(stream)
        if reader.is_encrypted:
            raise ExtractionError(
                "This PDF is encrypted (password-protected), so it can't be read."
            )
        page_count = len(reader.pages)
        if page_count > limits.pages:
            raise ExtractionError(
                f"This PDF has {page_count:,} pages; at most {limits.pages:,} can be read."
            )
        text = _Text(limits)
        for page in reader.pages:
            page_text = (page.extract_text() or "").strip()
            if page_text:
                text.add(page_text)
    except LimitReachedError as error:
        # pypdf stops unpacking a stream past 75 MB: a "decompression bomb", or a page too big.
        raise ExtractionError(
            "A page of this PDF unpacks to more than can be read; it may be too complex."
        ) from error
    except PdfReadError as error:
        raise ExtractionError("This PDF is damaged and can't be read.") from error
    if not text.parts:
        raise ExtractionError("This PDF has no text to read (it may be scanned images).")
    return ExtractedText(text=text.joined("\n\n"), page_count=page_count)


def _open_zip_member(stream: BinaryIO, name: str, limits: Limits, what: str) -> IO[bytes]:
    try:
        archive = zipfile.ZipFile(stream)
        info = archive.getinfo(name)
    except (zipfile.BadZipFile, KeyError) as error:
        raise ExtractionError(f"This {what} is damaged and can't be read.") from error
    if info.file_size > limits.xml_bytes:
        raise ExtractionError(
            f"This {what} unpacks to {info.file_size / 2**20:,.0f} MB, more than the "
            f"{limits.xml_bytes / 2**20:,.0f} MB that can be read."
        )
    return archive.open(info)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_blocks(xml: IO[bytes], limits: Limits) -> Iterator[str]:
    """Paragraphs outside tables, and each table row as its cells joined by " | "."""
    from lxml import etree

    paragraphs = 0
    row: list[str] | None = None
    cell: list[str] | None = None
    for event, element in etree.iterparse(xml, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == f"{_W}tr":
                row = []
            elif tag == f"{_W}tc":
                cell = []
            continue
        if tag == f"{_W}p":
            paragraphs += 1
            if paragraphs > limits.paragraphs:
                raise ExtractionError(
                    f"This document has more than {limits.paragraphs:,} paragraphs; "
                    "split it into smaller files."
                )
            text = "".join(t.text or "" for t in element.iter(f"{_W}t"))
            if cell is not None:
                cell.append(text)
            else:
                if text.strip():
                    yield text
                _drop(element)
        elif tag == f"{_W}tc" and row is not None and cell is not None:
            row.append(" ".join(part.strip() for part in cell if part.strip()))
            cell = None
        elif tag == f"{_W}tr" and row is not None:
            if any(row):
                yield " | ".join(row)
            row = None
            _drop(element)


def _drop(element: Any) -> None:
    """Free a parsed element and the siblings before it: the tree never grows."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    while parent is not None and element.getprevious() is not None:
        del parent[0]


def _docx(stream: BinaryIO, limits: Limits) -> ExtractedText:
    from lxml import etree

    xml = _open_zip_member(stream, "word/document.xml", limits, "Word document")
    text = _Text(limits)
    try:
        for block in _docx_blocks(xml, limits):
            text.add(block)
    except etree.XMLSyntaxError as error:
        raise ExtractionError("This Word document is damaged and can't be read.") from error
    return ExtractedText(text=text.joined("\n\n"))


def _too_many_rows(limits: Limits) -> ExtractionError:
    return ExtractionError(
        f"This spreadsheet has more than {limits.rows:,} rows; split it into smaller files."
    )


def _refuse_too_many_rows(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Count the rows of every sheet, stopping at the limit. openpyxl reads a whole sheet to
    size it before it yields the first row (when the sheet does not say its size), so a sheet of
    millions of rows would cost seconds of CPU before its rows could even be counted."""
    from lxml import etree

    rows = 0
    for info in archive.infolist():
        name = info.filename
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        with archive.open(info) as xml:
            try:
                for _, row in etree.iterparse(xml, events=("end",), tag="{*}row"):
                    rows += 1
                    if rows > limits.rows:
                        raise _too_many_rows(limits)
                    _drop(row)
            except etree.XMLSyntaxError as error:
                raise ExtractionError("This spreadsheet is damaged and can't be read.") from error


def _xlsx(stream: BinaryIO, limits: Limits) -> ExtractedText:
    import openpyxl

    try:
        archive = zipfile.ZipFile(stream)
        unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise ExtractionError("This spreadsheet is damaged and can't be read.") from error
    if unpacked > limits.xml_bytes:
        raise ExtractionError(
            f"This spreadsheet unpacks to {unpacked / 2**20:,.0f} MB, more than the "
            f"{limits.xml_bytes / 2**20:,.0f} MB that can be read."
        )
    _refuse_too_many_rows(archive, limits)
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a damaged file
        raise ExtractionError("This spreadsheet is damaged and can't be read.") from error
    text, rows_seen, rows_with_text = _Text(limits), 0, 0
    try:
        for sheet in workbook.worksheets:
            text.add(f"# Sheet: {sheet.title}")
            for row in sheet.iter_rows(values_only=True):
                rows_seen += 1  # empty rows count too: they cost as much to read
                if rows_seen > limits.rows:
                    raise _too_many_rows(limits)
                cells = ["" if value is None else str(value) for value in row]
                if any(cells):
                    rows_with_text += 1
                    text.add(" | ".join(cells))
    finally:
        workbook.close()
    return ExtractedText(text=text.joined("\n"), row_count=rows_with_text)


def _csv(data: bytes, limits: Limits) -> ExtractedText:
    decoded = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(decoded[:5000], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    text, rows = _Text(limits), 0
    try:
        for row in csv.reader(io.StringIO(decoded), dialect):
            if any(cell.strip() for cell in row):
                rows += 1
                if rows > limits.rows:
                    raise ExtractionError(
                        f"This CSV file has more than {limits.rows:,} rows; "
                        "split it into smaller files."
                    )
                text.add(" | ".join(row))
    except csv.Error as error:
        raise ExtractionError("This CSV file is damaged and can't be read.") from error
    return ExtractedText(text=text.joined("\n"), row_count=rows)


def _json(data: bytes, limits: Limits) -> ExtractedText:
    decoded = _decode(data)
    try:
        parsed = json.loads(decoded)
    except RecursionError as error:
        raise ExtractionError("This JSON file is nested too deeply to be read.") from error
    except ValueError as error:
        raise ExtractionError("This JSON file is not valid JSON.") from error
    try:
        return ExtractedText(text=json.dumps(parsed, indent=2, ensure_ascii=False))
    except RecursionError as error:
        raise ExtractionError("This JSON file is nested too deeply to be read.") from error


def _html(data: bytes, limits: Limits) -> ExtractedText:
    # nh3 with no allowed tags keeps only the text; script and style lose their content too.
    cleaned = nh3.clean(_decode(data), tags=set(), clean_content_tags={"script", "style"})
    lines = [" ".join(line.split()) for line in html.unescape(cleaned).splitlines()]
    return ExtractedText(text="\n".join(line for line in lines if line))


def extract_text(kind: str, stream: BinaryIO, limits: Limits | None = None) -> ExtractedText:
    limits = limits or Limits()
    stream.seek(0)
    if kind == "pdf":
        result = _pdf(stream, limits)
    elif kind == "docx":
        result = _docx(stream, limits)
    elif kind == "xlsx":
        result = _xlsx(stream, limits)
    else:
        data = stream.read()
        if kind == "csv":
            result = _csv(data, limits)
        elif kind == "json":
            result = _json(data, limits)
        elif kind == "html":
            result = _html(data, limits)
        else:
            result = ExtractedText(text=_decode(data))
    if not result.text.strip():
        raise ExtractionError("The file has no text in it.")
    if len(result.text) > limits.chars:
        _Text(limits).add(result.text)  # raises with the reason
    return result
