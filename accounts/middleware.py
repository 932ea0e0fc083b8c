"""Refuse browser sessions that were revoked or outlived their 24 hours, and say so."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts import session_registry
from accounts.services import SESSION_ID_KEY

# A marker cookie that outlives the session: it tells "your session ended" from "never signed in".
SIGNED_IN_COOKIE = "onyx_signed_in"
SESSION_EXPIRED_MESSAGE = "Your session expired. Sign in again."


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


class ActiveSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ended = False
        if request.user.is_authenticated:
            active = session_registry.get_session(request.session.get(SESSION_ID_KEY))
            if active is None or active.user_id != request.user.pk:
                logout(request)
                ended = True
            else:
                session_registry.touch_session(active)
        elif SIGNED_IN_COOKIE in request.COOKIES:
            ended = True

        if ended:
            if _wants_json(request) and not request.path.startswith("/api/"):
                response: HttpResponse = JsonResponse(
                    {"detail": SESSION_EXPIRED_MESSAGE, "code": "session_expired"}, status=401
                )
            else:
                messages.warning(request, SESSION_EXPIRED_MESSAGE)
                response = self.get_response(request)
            response.delete_cookie(SIGNED_IN_COOKIE, samesite="Lax")
            return response

        response = self.get_response(request)
        if request.user.is_authenticated and SIGNED_IN_COOKIE not in request.COOKIES:
            response.set_cookie(
                SIGNED_IN_COOKIE,
                "1",
                max_age=int(settings.ONYX_SESSION_MAX_AGE.total_seconds()),
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
        return response
