"""Redis or PostgreSQL out of reach: a clear 503 ("temporarily unavailable, try again"), never a
500, a silent sign-out or a dropped socket; everything works again once the service is back.

Django turns an exception raised anywhere in the middleware chain into a response before an
outer middleware sees it, so a receiver of `got_request_exception` (sent for every uncaught
exception, in debug too) marks the request, and ServiceOutageMiddleware, outside every middleware
that reaches a store, swaps the 500 for a 503.
"""

import logging
import sys
from collections.abc import Callable
from typing import Any

import redis.exceptions
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme

log = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = "The service is temporarily unavailable. Try again in a moment."
RETRY_AFTER_SECONDS = 5
# WebSocket close code "try again later" (RFC 6455 registry); the page reconnects after it.
CLOSE_TRY_AGAIN_LATER = 1013

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,  # includes BusyLoadingError (Redis still loading its AOF)
    redis.exceptions.TimeoutError,
    OperationalError,  # PostgreSQL unreachable, or no pooled connection within the timeout
    InterfaceError,  # a connection that PostgreSQL closed under us
)
_MARK = "_onyx_outage"


def is_outage(exc: BaseException | None) -> bool:
    """Whether this exception, or one it was raised from, means a data store is out of reach."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OUTAGE_ERRORS):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 as JSON for the API and as a small page otherwise. The page is rendered without the
    request's context: its context processors would reach for the session, in Redis."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": UNAVAILABLE_MESSAGE, "code": "unavailable"}, status=503)
    else:
        again = request.path if url_has_allowed_host_and_scheme(request.path, None) else "/"
        page = render_to_string(
            "notice.html",
            {
                "title": "Temporarily unavailable",
                "message": UNAVAILABLE_MESSAGE,
                "link": again,
                "link_text": "Try again",
            },
        )
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@receiver(got_request_exception)
def mark_outage(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    if request is not None and is_outage(sys.exc_info()[1]):
        setattr(request, _MARK, True)


class ServiceOutageMiddleware:
    """Answers 503 for any request that failed because a store is down. In MIDDLEWARE outside
    every middleware that reaches a store, and inside the ones that add the security headers,
    so the 503 carries the same policy as any page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500 and getattr(request, _MARK, False):
            return unavailable_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """A view's outage, answered before Django builds its 500 (or its debug page)."""
        return unavailable_response(request) if is_outage(exception) else None


def close_sockets_on_outage(app: Any) -> Any:
    """Around the WebSocket app: a store out of reach, at the handshake (authentication) or
    later (the channel layer), closes the socket with 1013 "try again later", which the page
    explains and reconnects from, instead of "Exception in ASGI application" and a bare 1006."""

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        state = {"connected": False, "accepted": False, "closed": False}

        async def noting_receive() -> dict[str, Any]:
            message: dict[str, Any] = await receive()
            if message["type"] == "websocket.connect":
                state["connected"] = True
            return message

        async def noting_send(message: dict[str, Any]) -> None:
            await send(message)
            if message["type"] == "websocket.accept":
                state["accepted"] = True
            elif message["type"] == "websocket.close":
                state["closed"] = True

        try:
            await app(scope, noting_receive, noting_send)
        except Exception as exc:
            if not is_outage(exc) or state["closed"]:
                raise
            log.warning("Closing a socket: %s", exc)
            if not state["connected"]:
                await receive()  # the handshake's websocket.connect, still unread
            if not state["accepted"]:
                # A close before accept reaches a browser as a bare 1006, without our code.
                await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})

    return guarded
