from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from onyx_site import health
from onyx_site.error_views import bad_request, failed, forbidden, not_found


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
