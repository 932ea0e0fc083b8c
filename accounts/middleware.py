"""Refuse browser sessions that were revoked or outlived their 24 hours, and say which."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts import session_registry
from accounts.request_info import request_session
from accounts.services import SESSION_ID_KEY
from onyx_site.outages import is_outage, unavailable_response

# A marker cookie that outlives the session and holds its registry id: it tells "your session
# ended, and why" from "never signed in". The id alone grants nothing.
SIGNED_IN_COOKIE = "onyx_signed_in"
# Where the API's error handler finds what to say to a browser whose session ended.
ENDED_MESSAGE_ATTR = "onyx_session_ended"


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


class ActiveSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            active, ended = self._session_of(request)
        except Exception as exc:
            # The first read of a request from Redis (the session) and PostgreSQL (the user):
            # answered here, before Django's debug page would read both again to describe it.
            if not is_outage(exc):
                raise
            return unavailable_response(request)
        if ended is not None:
            return self._ended(request, ended)

        token = request_session.set(active)
        try:
            response = self.get_response(request)
        finally:
            request_session.reset(token)
        # After the response: a sign-in during this request has its session by now.
        sid = request.session.get(SESSION_ID_KEY) if request.user.is_authenticated else None
        if sid and request.COOKIES.get(SIGNED_IN_COOKIE) != sid:
            response.set_cookie(
                SIGNED_IN_COOKIE,
                sid,
                max_age=int(settings.ONYX_SESSION_MAX_AGE.total_seconds()),
                httponly=True,
                secure=settings.SESSION_COOKIE_SECURE,
                samesite="Lax",
            )
        return response

    @staticmethod
    def _session_of(
        request: HttpRequest,
    ) -> tuple[session_registry.ActiveSession | None, str | None]:
        """The live session making the request, or what to say about one that ended."""
        if request.user.is_authenticated:
            sid = request.session.get(SESSION_ID_KEY)
            active = session_registry.get_session(sid)
            if active is not None and active.user_id == request.user.pk:
                session_registry.touch_session(active)
                return active, None
            logout(request)
            return None, session_registry.why_ended(sid)
        if request.COOKIES.get(SIGNED_IN_COOKIE):
            return None, session_registry.why_ended(request.COOKIES[SIGNED_IN_COOKIE])
        return None, None

    def _ended(self, request: HttpRequest, message: str) -> HttpResponse:
        setattr(request, ENDED_MESSAGE_ATTR, message)
        if _wants_json(request) and not request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse(
                {"detail": message, "code": "session_ended"}, status=401
            )
        else:
            messages.warning(request, message)
            response = self.get_response(request)
        response.delete_cookie(SIGNED_IN_COOKIE, samesite="Lax")
        return response
