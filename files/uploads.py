"""Refuse an upload while it arrives, as soon as it passes the size limit or the user's quota.

The handler must be installed before anything reads the request body, and CSRF checks read it:
DRF views install it in initialize_request(), before authentication; page views are wrapped so
the CSRF check runs after it (the pattern Django's upload-handler docs give).
"""

from collections.abc import Callable
from typing import Any

from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest

# Multipart framing around the file adds a little to the body.
FRAMING_ALLOWANCE = 64 * 1024

Allowance = Callable[[HttpRequest], tuple[int, str]]


class UploadTooLarge(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Streams to a temporary file and stops once the allowance is exceeded. The allowance is
    asked for when the body starts, when the user is known, whichever way they signed in."""

    def __init__(self, request: HttpRequest, allowance: Allowance) -> None:
        super().__init__(request)
        self.allowance = allowance
        self.limit = 0
        self.refusal = ""
        self.refused = False
        self.hopeless = False

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: Any,
        encoding: Any = None,
    ) -> None:
        self.limit, self.refusal = self.allowance(self.request)  # type: ignore[arg-type]
        self.hopeless = content_length > self.limit + FRAMING_ALLOWANCE

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        if self.hopeless or start + len(raw_data) > self.limit:
            self.refused = True
            if self.file is not None:
                self.file.close()
            # A body declared far too large is not even read; one that grew past the limit is
            # read to its end (and dropped) so the client gets our answer.
            raise StopUpload(connection_reset=self.hopeless)
        return super().receive_data_chunk(raw_data, start)


def install_limit(request: HttpRequest, allowance: Allowance) -> None:
    request.upload_handlers = [LimitedUploadHandler(request, allowance)]


def check_limit(request: HttpRequest) -> None:
    """After the body was read: raise UploadTooLarge if the handler refused the file."""
    for handler in request.upload_handlers:
        if isinstance(handler, LimitedUploadHandler) and handler.refused:
            raise UploadTooLarge(handler.refusal)
