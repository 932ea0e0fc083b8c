"""Every API error is JSON with a readable `detail`, including the ones DRF does not raise."""

from typing import Any

from django.http import Http404
from rest_framework.response import Response
from rest_framework.views import exception_handler


def json_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    if isinstance(exc, Http404):
        response.data = {"detail": str(exc) or "Not found."}
    elif isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": "Some fields are not valid.", "errors": response.data}
    elif isinstance(response.data, list):
        response.data = {"detail": " ".join(str(item) for item in response.data)}
    return response
