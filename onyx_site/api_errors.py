"""Every API error is JSON with a readable `detail`, including the ones DRF does not raise."""

import re
from typing import Any

from django.db.models import Model
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import (
    APIException,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from rest_framework.response import Response
from rest_framework.views import exception_handler
from rest_framework_simplejwt.exceptions import InvalidToken

from accounts.jwt import ACCESS_NOT_VALID
from onyx_site.outages import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, is_outage

SIGN_IN_FIRST = (
    "Sign in first: send an access token (Authorization: Bearer <access>) "
    "or use a signed-in browser."
)

# DRF says "CSRF Failed: CSRF token missing." to a signed-in page whose token is missing or stale.
CSRF_FAILED = "This page's security token is missing or out of date. Reload the page and try again."


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This conflicts with the current state."


class TooManyRequests(APIException):
    """429 whose `detail` already says when to try again. DRF's Throttled would say it twice
    ("Try again in 56 s. Expected available in 56 seconds.")."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, detail: str, *, wait: int | None = None) -> None:
        super().__init__(detail)
        self.wait = wait  # DRF's handler turns it into Retry-After


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."


# get_object_or_404 says "No ChatSession matches the given query.": said for people instead,
# the same whether the object is missing or another user's.
_NOT_FOUND_BY_MODEL: dict[str, str] = {
    "ChatSession": "There is no such chat.",
    "ChatMessage": "There is no such message.",
    "UserFile": "There is no such file.",
    "FileChunk": "There is no such passage.",
}
_DJANGO_NOT_FOUND = re.compile(r"No (\w+) matches the given query\.")


def no_such(model: type[Model]) -> NotFound:
    """The 404 for an object of `model` that is missing or not the user's, as a view raises it
    when it looked the object up itself."""
    return NotFound(_NOT_FOUND_BY_MODEL.get(model.__name__, "Not found."))


def _not_found_text(exc: Http404) -> str:
    said = str(exc)
    model = _DJANGO_NOT_FOUND.fullmatch(said)
    if model:
        return _NOT_FOUND_BY_MODEL.get(model.group(1), "Not found.")
    return said or "Not found."


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if is_outage(exc):
        return Response(
            {"detail": UNAVAILABLE_MESSAGE, "code": "unavailable"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django logs it, and handler500 answers JSON
    if isinstance(exc, Http404):
        response.data = {"detail": _not_found_text(exc)}
    elif isinstance(exc, NotAuthenticated):
        # A browser whose session just ended is told why (accounts/middleware.py).
        request = getattr(context.get("request"), "_request", None)
        ended = getattr(request, "onyx_session_ended", None)
        response.data = (
            {"detail": ended, "code": "session_ended"}
            if ended
            else {"detail": SIGN_IN_FIRST, "code": "not_authenticated"}
        )
    elif isinstance(exc, PermissionDenied) and str(exc.detail).startswith("CSRF Failed"):
        response.data = {"detail": CSRF_FAILED, "code": "csrf_failed"}
    elif isinstance(exc, InvalidToken):
        response.data = {"detail": ACCESS_NOT_VALID, "code": "token_not_valid"}
    elif isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": "Some fields are not valid.", "errors": response.data}
    elif isinstance(response.data, list):
        response.data = {"detail": " ".join(str(item) for item in response.data)}
    return response
