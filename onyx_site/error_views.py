"""What the app answers when Django refuses a request or a view fails: JSON on /api/, the app's
notice page elsewhere (Django's handler400/403/404/500, named in onyx_site/urls.py)."""

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import page_not_found, server_error


def _error_page(status: int, title: str, message: str) -> HttpResponse:
    """The app's notice page, rendered without the request's context as the outage page is:
    nothing more (its session, its user) is looked up for a request Django refused."""
    context = {
        "title": title,
        "message": message,
        "link": "/",
        "link_text": "Back to Onyx Sessions",
    }
    return HttpResponse(render_to_string("notice.html", context), status=status)


def _bad_request_reason(exception: Exception) -> tuple[str, str]:
    if isinstance(exception, DisallowedHost):
        return "bad_host", "This server does not answer for the host name this request gives."
    if isinstance(exception, TooManyFieldsSent):
        most = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return "too_many_fields", f"Too many form fields: send at most {most:,} in one request."
    if isinstance(exception, TooManyFilesSent):
        most = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        return "too_many_files", f"Too many files: send at most {most:,} in one request."
    if isinstance(exception, RequestDataTooBig):
        most = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return "field_too_big", f"A form field is too large: at most {most:,} bytes outside files."
    return "bad_request", "This request is malformed or unsafe, so it was refused."


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """400 for what Django refuses before a view answers: a Host not in ALLOWED_HOSTS, too
    many form fields or files, any other SuspiciousOperation."""
    code, message = _bad_request_reason(exception)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": code}, status=400)
    return _error_page(400, "Bad request", message)


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    """403 from Django's PermissionDenied outside DRF, which answers its own."""
    message = "You do not have permission to do this."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "permission_denied"}, status=403)
    return _error_page(403, "Not allowed", message)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def failed(request: HttpRequest) -> HttpResponse:
    """500 (with DEBUG off). A store that is down becomes a 503 in onyx_site/outages.py."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Something went wrong on the server. It has been logged; try again."},
            status=500,
        )
    return server_error(request)
