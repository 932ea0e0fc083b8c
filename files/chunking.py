"""Split extracted text into passages small enough to quote and rank."""

CHUNK_CHARS = 900
OVERLAP_CHARS = 150


def split_into_chunks(text: str) -> list[str]:
    """Paragraph-aware windows of about CHUNK_CHARS, overlapping so no sentence is lost at a cut."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    chunks: list[str] = []
    current = ""
    for paragraph in paragraphs:
        while len(paragraph) > CHUNK_CHARS:
            cut = paragraph.rfind(" ", 0, CHUNK_CHARS)
            cut = cut if cut > CHUNK_CHARS // 2 else CHUNK_CHARS
            piece, paragraph = paragraph[:cut], paragraph[cut - OVERLAP_CHARS :].lstrip()
            if current:
                chunks.append(current)
                current = ""
            chunks.append(piece.strip())
        if current and len(current) + len(paragraph) + 2 > CHUNK_CHARS:
            chunks.append(current)
            current = current[-OVERLAP_CHARS:].split(" ", 1)[-1] if OVERLAP_CHARS else ""
            current = f"{current}\n\n{paragraph}" if current else paragraph
        else:
            current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        chunks.append(current)
    return chunks
