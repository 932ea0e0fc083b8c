"""Names as the user sees them: cleaned for display, never used as a storage path."""

import unicodedata
import uuid

MAX_NAME_CHARS = 200


def clean_display_name(raw: str) -> str:
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")  # control, format
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = f"{stem[: MAX_NAME_CHARS - len(extension) - 2]}….{extension}"
        else:
            name = f"{name[: MAX_NAME_CHARS - 1]}…"
    return name or "unnamed file"


def new_storage_name(owner_id: int) -> str:
    return f"uploads/{owner_id}/{uuid.uuid4().hex}"
