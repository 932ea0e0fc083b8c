from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import DisallowedHost, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import include, path
from django.views.defaults import page_not_found, server_error
from django.views.generic import RedirectView
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from onyx_site import health


class ApiRootView(APIView):
    """Entry point of the browsable API."""

    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        return Response(
            {
                "token": reverse("api-token", request=request),
                "token_refresh": reverse("api-token-refresh", request=request),
                "me": reverse("api-me", request=request),
                "sessions": reverse("api-sessions", request=request),
                "chats": reverse("api-chat-list", request=request),
                "files": reverse("api-file-list", request=request),
                "models": reverse("api-models", request=request),
                "schema": reverse("api-schema", request=request),
                "docs": reverse("api-docs", request=request),
            }
        )


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


handler400 = bad_request
handler403 = forbidden
handler404 = not_found
handler500 = failed


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages that name no icon (the API's JSON, for one)."""
    return HttpResponsePermanentRedirect(static("img/favicon.ico"))


urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", login_not_required(RedirectView.as_view(url="/chats/", permanent=False))),
    path("favicon.ico", favicon),
    path("", include("accounts.urls")),
    path("chats/", include("chats.urls")),
    path("files/", include("files.urls")),
    path("admin/", admin.site.urls),
    path("api/", ApiRootView.as_view(), name="api-root"),
    path("api/auth/", include("accounts.api_urls")),
    path("api/", include("chats.api_urls")),
    path("api/", include("files.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file: no inline script for CSP to refuse.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api-auth/", include("rest_framework.urls")),
]

if settings.ONYX_BENCH_BASELINES:
    urlpatterns += [path("", include("onyx_site.bench_baselines"))]
