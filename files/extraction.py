"""Text out of each accepted kind of file, with a reason a person understands when it fails."""

import csv
import html
import io
import json
from dataclasses import dataclass
from typing import BinaryIO

import nh3

MAX_TEXT_CHARS = 5_000_000


class ExtractionError(Exception):
    pass


@dataclass(frozen=True)
class ExtractedText:
    text: str
    page_count: int | None = None
    row_count: int | None = None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExtractionError("The file is not valid UTF-8 text.") from error


def _pdf(stream: BinaryIO) -> ExtractedText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(stream)
        if reader.is_encrypted:
            raise ExtractionError(
                "This PDF is encrypted (password-protected), so it can't be read."
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except PdfReadError as error:
        raise ExtractionError("This PDF is damaged and can't be read.") from error
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise ExtractionError("This PDF has no text to read (it may be scanned images).")
    return ExtractedText(text=text, page_count=len(pages))


def _docx(stream: BinaryIO) -> ExtractedText:
    import docx

    try:
        document = docx.Document(stream)
    except Exception as error:  # python-docx raises several kinds for a damaged file
        raise ExtractionError("This Word document is damaged and can't be read.") from error
    parts = [paragraph.text for paragraph in document.paragraphs if paragraph.text.strip()]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text.strip() for cell in row.cells))
    return ExtractedText(text="\n\n".join(parts))


def _xlsx(stream: BinaryIO) -> ExtractedText:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several kinds for a damaged file
        raise ExtractionError("This spreadsheet is damaged and can't be read.") from error
    lines, rows = [], 0
    for sheet in workbook.worksheets:
        lines.append(f"# Sheet: {sheet.title}")
        for row in sheet.iter_rows(values_only=True):
            cells = ["" if value is None else str(value) for value in row]
            if any(cells):
                rows += 1
                lines.append(" | ".join(cells))
    workbook.close()
    return ExtractedText(text="\n".join(lines), row_count=rows)


def _csv(data: bytes) -> ExtractedText:
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:5000], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [
        row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)
    ]
    return ExtractedText(text="\n".join(" | ".join(row) for row in rows), row_count=len(rows))


def _json(data: bytes) -> ExtractedText:
    text = _decode(data)
    try:
        parsed = json.loads(text)
    except ValueError as error:
        raise ExtractionError("This JSON file is not valid JSON.") from error
    return ExtractedText(text=json.dumps(parsed, indent=2, ensure_ascii=False))


def _html(data: bytes) -> ExtractedText:
    # nh3 with no allowed tags keeps only the text; script and style lose their content too.
    cleaned = nh3.clean(_decode(data), tags=set(), clean_content_tags={"script", "style"})
    lines = [" ".join(line.split()) for line in html.unescape(cleaned).splitlines()]
    return ExtractedText(text="\n".join(line for line in lines if line))


def extract_text(kind: str, stream: BinaryIO) -> ExtractedText:
    stream.seek(0)
    if kind == "pdf":
        result = _pdf(stream)
    elif kind == "docx":
        result = _docx(stream)
    elif kind == "xlsx":
        result = _xlsx(stream)
    else:
        data = stream.read()
        if kind == "csv":
            result = _csv(data)
        elif kind == "json":
            result = _json(data)
        elif kind == "html":
            result = _html(data)
        else:
            result = ExtractedText(text=_decode(data))
    if not result.text.strip():
        raise ExtractionError("The file has no text in it.")
    if len(result.text) > MAX_TEXT_CHARS:
        return ExtractedText(
            text=result.text[:MAX_TEXT_CHARS],
            page_count=result.page_count,
            row_count=result.row_count,
        )
    return result
