"""Request bodies refused at the ASGI edge, before Django reads any of them.

Django's ASGI handler reads a whole body into a temporary file (on disk past
FILE_UPLOAD_MAX_MEMORY_SIZE) before any middleware or view runs, so a limit checked by Django
comes after the bytes are stored. Here the declared Content-Length is checked before a byte is
read, and the bytes are counted as they arrive in case a server does not hold the client to it.

Uploads may be up to ONYX_MAX_UPLOAD_MB, on the upload routes only and only for a signed-in
user; every other body up to ONYX_MAX_REQUEST_KB. Chunked bodies are refused (411): Django reads
a body only as far as its Content-Length, so a chunked one would silently arrive empty.
"""

import json
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.template.loader import render_to_string

from accounts.edge_auth import header, signed_in_user_id
from onyx_site.outages import UNAVAILABLE_MESSAGE, is_outage
from onyx_site.row_ids import parse_whole_number
from onyx_site.security_headers import page_security_headers

ASGIApp = Any
UPLOAD_PATHS = frozenset({"/api/files/", "/files/upload/"})
# Multipart framing (boundaries, part headers) around an uploaded file.
FRAMING_ALLOWANCE = 64 * 1024
MB = 1024 * 1024


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


def _request_limit() -> tuple[int, Refusal]:
    limit = settings.ONYX_MAX_REQUEST_BYTES
    message = f"This request is too large: a request body can be at most {limit // 1024:,} KB."
    return limit, Refusal(413, "too_large", message)


async def _limit_for(scope: dict[str, Any]) -> tuple[int, Refusal]:
    if scope["method"] != "POST" or scope["path"] not in UPLOAD_PATHS:
        return _request_limit()
    user_id = await sync_to_async(signed_in_user_id, thread_sensitive=False)(scope["headers"])
    if user_id is None:
        limit, _ = _request_limit()
        return limit, Refusal(413, "sign_in_to_upload", "Sign in to upload files.")
    megabytes = settings.ONYX_MAX_UPLOAD_MB
    message = f"This file is larger than the {megabytes} MB limit."
    return megabytes * MB + FRAMING_ALLOWANCE, Refusal(413, "too_large", message)


UNAVAILABLE = Refusal(503, "unavailable", UNAVAILABLE_MESSAGE)
CHUNKED = Refusal(
    411,
    "length_required",
    "Send the body with a Content-Length header: chunked request bodies are not accepted.",
)


async def refuse(scope: dict[str, Any], send: Any, refusal: Refusal) -> None:
    """The refusal as JSON for the API and as a small page otherwise, with a page's security
    headers: Django's middleware, which adds them to every other answer, never sees this one."""
    if scope["path"].startswith("/api/"):
        body = json.dumps({"detail": refusal.message, "code": refusal.code}).encode()
        content_type = b"application/json"
    else:
        context = {
            "title": "Request refused",
            "message": refusal.message,
            "link": "/",
            "link_text": "Back to Onyx Sessions",
        }
        body = render_to_string("notice.html", context).encode()
        content_type = b"text/html; charset=utf-8"
    security = page_security_headers(secure=scope.get("scheme") == "https")
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body is never read, so the connection cannot be reused.
                (b"connection", b"close"),
                *((name.lower().encode(), value.encode()) for name, value in security.items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestBodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        if header(headers, b"transfer-encoding") is not None:
            await refuse(scope, send, CHUNKED)
            return
        declared = header(headers, b"content-length")
        if declared is None:
            await self.app(scope, receive, send)  # no body
            return
        try:
            limit, refusal = await _limit_for(scope)
        except Exception as exc:
            if not is_outage(exc):
                raise
            await refuse(scope, send, UNAVAILABLE)
            return
        size = parse_whole_number(declared)
        if size is None or size > limit:
            await refuse(scope, send, refusal)
            return
        received = 0
        cut = False

        async def counted_receive() -> dict[str, Any]:
            nonlocal received, cut
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Django drops what it has read and returns without answering.
                    cut = True
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, counted_receive, send)
        if cut:
            await refuse(scope, send, refusal)
