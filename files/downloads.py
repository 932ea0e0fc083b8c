"""A file's bytes as a download: an attachment under its original name, streamed.

Under ASGI, Django reads a response's sync iterator whole into memory before sending it (and
warns); so there the file is read in pieces in a thread and streamed as it is read."""

from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, HttpRequest

from files.models import UserFile

CHUNK_BYTES = 256 * 1024


async def _pieces(stored: File[bytes]) -> AsyncIterator[bytes]:
    read = sync_to_async(stored.read, thread_sensitive=False)
    while piece := await read(CHUNK_BYTES):
        yield piece


def download_response(request: HttpRequest, file: UserFile) -> FileResponse:
    """The bytes as an attachment under the original name (RFC 5987 for non-ASCII names)."""
    stored = default_storage.open(file.storage_name, "rb")
    response = FileResponse(
        stored, as_attachment=True, filename=file.name, content_type=file.content_type
    )
    if isinstance(request, ASGIRequest):
        response.streaming_content = _pieces(stored)  # the file still closes with the response
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
