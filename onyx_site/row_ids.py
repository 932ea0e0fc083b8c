"""Row ids as they arrive in URLs and form fields."""


def parse_row_id(raw: str) -> int | None:
    """`raw` as a row id, or None: ASCII digits only ("١٢".isdigit() is true too), and few
    enough for a bigint, which PostgreSQL would otherwise refuse with an error."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None
