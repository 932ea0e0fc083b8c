"""The API's OpenAPI schema documents every error an operation can answer with, in one place.

Errors are JSON `{"detail", "code"?, "errors"?}` (onyx_site/api_errors.py). The answers every
operation shares are added here from what the operation is (authenticated, has a body, has an id
in its path); the ones only some give (409, 429) are named on those views with `REPLY_LIMITS` or
`error(...)` in their `extend_schema(responses=...)`.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import PageNumberPagination

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ApiErrorSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField(help_text="What went wrong, in words for a person.")
    code = serializers.CharField(
        required=False, help_text='A stable name for some errors, e.g. "session_ended".'
    )
    # DRF takes declared fields off the class, so this does not hide Serializer.errors.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="400 only: the messages for each field that is not valid.",
    )

    class Meta:
        ref_name = "ApiError"


def error(description: str) -> OpenApiResponse:
    """An error answer for `extend_schema(responses={status: error("when it happens")})`."""
    return OpenApiResponse(ApiErrorSerializer, description=description)


REPLY_LIMITS = {
    409: error("A reply is being written in this chat; stop it or wait for it first."),
    429: error(
        "Over the send rate (Retry-After says when to try again) or over the number of "
        "replies one user may have being written at once."
    ),
}

RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before trying again, when the server knows.",
    }
}


class OnyxAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the error answers each operation can give."""

    def get_operation(
        self,
        path: str,
        path_regex: str,
        path_prefix: str,
        method: str,
        registry: Any,
    ) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for status, description in self._shared_errors(path, operation):
            responses.setdefault(str(status), self._error_response(status, error(description)))
        for status, response in responses.items():
            if status in ("429", "503"):
                response.setdefault("headers", {}).update(RETRY_AFTER)
        return operation

    def _error_response(self, status: int, response: OpenApiResponse) -> dict[str, Any]:
        return dict(
            self._get_response_for_code(  # type: ignore[no-untyped-call]
                response, str(status), media_types=["application/json"]
            )
        )

    def _shared_errors(self, path: str, operation: dict[str, Any]) -> list[tuple[int, str]]:
        has_body = "requestBody" in operation
        has_query = any(p["in"] == "query" for p in operation.get("parameters", []))
        errors: list[tuple[int, str]] = []
        if has_body or has_query:
            errors.append((400, "The request is not valid: `errors` says why for each field."))
        errors.append(
            (
                401,
                "Not signed in: no valid access token or browser session, or the session "
                'ended (`code` "session_ended", `detail` says why).',
            )
        )
        if self.method not in SAFE_METHODS and any(
            isinstance(auth, SessionAuthentication) for auth in self.view.get_authenticators()
        ):
            errors.append((403, "Signed in by browser session without its CSRF token."))
        if "{" in path:
            errors.append((404, "No such object among the signed-in user's own."))
        elif self._is_list_view() and isinstance(
            self._get_paginator(),  # type: ignore[no-untyped-call]
            PageNumberPagination,
        ):
            errors.append((404, "Past the last page."))
        if has_body:
            errors.append((411, "The body was sent chunked; send it with a Content-Length."))
            errors.append((413, "The body is larger than this operation accepts."))
            errors.append((415, "The body's Content-Type is not one this operation reads."))
        elif self.method not in SAFE_METHODS:
            # The ASGI edge (onyx_site/body_limits.py) checks every request's body, wanted or
            # not, and clients often send one with a POST anyway (`{}`, or chunked).
            errors.append((411, "A body was sent chunked; this operation wants none."))
            errors.append((413, "A body was sent, over the size of any request; none is wanted."))
        errors.append((503, "PostgreSQL or Redis cannot be reached for now; try again."))
        return errors
