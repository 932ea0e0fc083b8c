"""Whole numbers as they arrive in URLs, form fields and headers: row ids among them."""


def parse_whole_number(raw: str, *, max_digits: int | None = None) -> int | None:
    """`raw` as a whole number written in ASCII digits (at most `max_digits` of them), or None:
    "١٢" and "²" pass str.isdigit() too, and int() reads the first and refuses the second."""
    if not (raw.isascii() and raw.isdigit()):
        return None
    if max_digits is not None and len(raw) > max_digits:
        return None
    return int(raw)


def parse_row_id(raw: str) -> int | None:
    """`raw` as a row id, or None: few enough digits for a bigint, which PostgreSQL would
    otherwise refuse with an error."""
    return parse_whole_number(raw, max_digits=18)
