"""Small sample files of every accepted kind, built by the tests themselves."""

import io
import json
import zlib


def pdf_bytes(text: str) -> bytes:
    """A one-page PDF whose text pypdf can extract, written object by object."""
    return _one_page_pdf(f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode(), b"")


def pdf_bomb_bytes(megabytes: int) -> bytes:
    """A small PDF whose page, compressed, is `megabytes` MB of spaces once read."""
    packer = zlib.compressobj(9)
    spaces = b" " * (1024 * 1024)
    packed = b"".join(packer.compress(spaces) for _ in range(megabytes)) + packer.flush()
    return _one_page_pdf(packed, b" /Filter /FlateDecode")


def _one_page_pdf(stream: bytes, stream_options: bytes) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length "
        + str(len(stream)).encode()
        + stream_options
        + b" >>\nstream\n"
        + stream
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
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
