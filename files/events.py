"""The live events about one file: the file as JSON, and as its row on the files page."""

from django.template.loader import render_to_string

from files.models import UserFile
from files.serializers import UserFileSerializer


def file_event(kind: str, file: UserFile) -> dict[str, object]:
    # The row comes from the page's own template, so a live update looks exactly like the
    # page after a reload (sizes, dates and states worded once, on the server).
    return {
        "type": kind,
        "file": dict(UserFileSerializer(file).data),
        "html": render_to_string("files/_row.html", {"file": file}),
    }
