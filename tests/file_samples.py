"""Small sample files of every accepted kind, built by the tests themselves."""

import io
import json
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from itertools import chain


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF whose text pypdf can extract, written object by object."""
    return pdf_with_pages([text.encode()])


_PAGE_FONT = b"/MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >>"


def _content_stream(text: bytes) -> bytes:
    stream = b"BT /F1 12 Tf 72 712 Td (" + text + b") Tj ET"
    return b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"


def pdf_with_pages(texts: list[bytes]) -> bytes:
    """A PDF with one page for each text (raw PDF string bytes: escapes like \\000 work)."""
    # Objects: 1 catalog, 2 page tree, 3 font, then each page's content stream and page.
    pages = [b"%d 0 R" % (5 + 2 * n) for n in range(len(texts))]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(pages) + b"] /Count %d >>" % len(texts),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for n, text in enumerate(texts):
        objects.append(_content_stream(text))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /Contents %d 0 R %s >>" % (4 + 2 * n, _PAGE_FONT)
        )
    return _pdf_file(objects)


def pdf_bomb_bytes(megabytes: int) -> bytes:
    """A small PDF whose one page, compressed, is `megabytes` MB of spaces once read."""
    packer = zlib.compressobj(9)
    spaces = b" " * (1024 * 1024)
    packed = b"".join(packer.compress(spaces) for _ in range(megabytes)) + packer.flush()
    stream = (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        stream,
        b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R %s >>" % _PAGE_FONT,
    ]
    return _pdf_file(objects)


def pdf_repeating_one_page(fanouts: tuple[int, ...]) -> bytes:
    """A PDF of one page and one content stream, listed again and again by a page tree whose
    levels each hold the level below `fanout` times: (20, 50, 50) is 50,000 pages in 1.5 KB."""
    levels = len(fanouts)
    # Objects: 1 catalog, 2.. the tree's levels (2 is the root), then the page, font, stream.
    page, font, stream = 2 + levels, 3 + levels, 4 + levels
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    below = 1
    counts = []
    for fanout in reversed(fanouts):
        below *= fanout
        counts.append(below)
    for level, fanout in enumerate(fanouts):
        kids = b" ".join([b"%d 0 R" % (3 + level)] * fanout)
        objects.append(
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % counts[levels - 1 - level]
        )
    objects += [
        b"<< /Type /Page /Parent %d 0 R /Contents %d 0 R %s >>" % (page - 1, stream, _PAGE_FONT),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _content_stream(b"Page"),
    ]
    return _pdf_file(objects).replace(b"/F1 3 0 R", b"/F1 %d 0 R" % font)


def _pdf_file(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def encrypted_pdf_bytes(text: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(text))))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_bytes(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Report", level=1)
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(text: str) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Item", "Note"])
    sheet.append(["1", text])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def samples(fact: str) -> dict[str, tuple[str, bytes]]:
    """kind -> (file name, bytes), each carrying `fact` in its text."""
    return {
        "text": ("notes.txt", f"Some notes.\n\n{fact}\n".encode()),
        "markdown": ("readme.md", f"# Readme\n\n*{fact}*\n".encode()),
        "csv": ("table.csv", f"id,note\n1,{fact}\n2,other\n".encode()),
        "json": ("data.json", json.dumps({"note": fact, "n": [1, 2]}).encode()),
        "html": (
            "page.html",
            f"<!doctype html><html><head><style>p{{}}</style><script>var x=1;</script></head>"
            f"<body><p>{fact}</p></body></html>".encode(),
        ),
        "pdf": ("doc.pdf", pdf_bytes(fact)),
        "docx": ("doc.docx", docx_bytes(fact)),
        "xlsx": ("sheet.xlsx", xlsx_bytes(fact)),
    }


# --- Bombs: small files that unpack into millions of parts ----------------------------------------

_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)
_W_NS = b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _zipped(members: dict[str, Iterable[bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, pieces in members.items():
            with archive.open(name, "w") as member:
                for piece in pieces:
                    member.write(piece)
    return out.getvalue()


def _repeated(piece: bytes, times: int, batch: int = 10_000) -> Iterator[bytes]:
    for start in range(0, times, batch):
        yield piece * min(batch, times - start)


def docx_with_paragraphs(count: int) -> bytes:
    """A Word document of `count` tiny paragraphs."""
    head = b'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="' + _W_NS + b'"><w:body>'
    return _zipped(
        {
            "[Content_Types].xml": [_CONTENT_TYPES],
            "word/document.xml": chain(
                [head],
                _repeated(b"<w:p><w:r><w:t>a</w:t></w:r></w:p>", count),
                [b"</w:body></w:document>"],
            ),
        }
    )


def xlsx_with_rows(count: int) -> bytes:
    """A workbook whose one sheet has `count` rows of one small number each."""
    main = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"

    def rows() -> Iterator[bytes]:
        for start in range(1, count + 1, 10_000):
            yield b"".join(
                b"<row><c><v>1</v></c></row>" for n in range(start, min(start + 10_000, count + 1))
            )

    return _zipped(
        {
            "[Content_Types].xml": [
                b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
                b'.org/package/2006/content-types"><Default Extension="xml" ContentType="'
                b'application/xml"/><Default Extension="rels" ContentType="application/vnd.'
                b'openxmlformats-package.relationships+xml"/><Override PartName="/xl/workbook.xml"'
                b' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
                b'.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
                b'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                b"</Types>"
            ],
            "_rels/.rels": [
                b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
                + rels
                + b'/officeDocument" Target="xl/workbook.xml"/></Relationships>'
            ],
            "xl/workbook.xml": [
                b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="'
                + main
                + b'" xmlns:r="'
                + rels
                + b'"><sheets><sheet name="Big" sheetId="1" r:id="rId1"/></sheets></workbook>'
            ],
            "xl/_rels/workbook.xml.rels": [
                b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                b'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
                + rels
                + b'/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
            ],
            "xl/worksheets/sheet1.xml": chain(
                [
                    b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="'
                    + main
                    + b'"><sheetData>'
                ],
                rows(),
                [b"</sheetData></worksheet>"],
            ),
        }
    )
