"""Text PostgreSQL will store: no NUL characters and no lone surrogates."""

import re

# NUL is refused in any text column; a lone surrogate cannot be encoded as UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    return _UNSTORABLE.sub("", text)
