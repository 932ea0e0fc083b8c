"""Who is on a WebSocket: a browser by its session cookie (origin checked), an API client by JWT."""

from typing import Any

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host

from accounts import edge_auth, jwt
from accounts.services import SESSION_ID_KEY

ASGIApp = Any
SCOPE_SESSION_ID = "onyx_sid"


def bearer_token(scope: dict[str, Any]) -> str | None:
    return edge_auth.bearer_token(scope.get("headers", []))


class BearerTokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        try:
            user, session = await database_sync_to_async(jwt.session_for_access_token)(
                bearer_token(scope) or ""
            )
            scope["user"], scope[SCOPE_SESSION_ID] = user, session.sid
        except jwt.SessionEnded:
            scope["user"], scope[SCOPE_SESSION_ID] = AnonymousUser(), None
        return await super().__call__(scope, receive, send)


class CookieSessionIdMiddleware(BaseMiddleware):
    """Runs inside AuthMiddlewareStack: copies the registry id out of the Django session."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        scope = dict(scope)
        scope[SCOPE_SESSION_ID] = await database_sync_to_async(self._session_id)(scope)
        return await super().__call__(scope, receive, send)

    @staticmethod
    def _session_id(scope: dict[str, Any]) -> str | None:
        session = scope.get("session")
        return session.get(SESSION_ID_KEY) if session is not None else None


_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _origin_parts(scheme: str, host: str) -> tuple[str, str, str]:
    domain, port = split_domain_port(host.lower())
    return scheme, domain, port or _DEFAULT_PORTS.get(scheme, "")


def origin_is_allowed(scope: dict[str, Any]) -> bool:
    """The page that opened the socket is this site, exactly: scheme, host and port. Either one
    of CSRF_TRUSTED_ORIGINS, or the origin the request itself was made to (its scheme and its
    Host header, the host being one of ALLOWED_HOSTS), as Django's CSRF check does for forms."""
    headers = scope.get("headers", [])
    origin = edge_auth.header(headers, b"origin")
    if not origin:
        return False  # browsers always send it; clients without a browser use a Bearer token
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    scheme, _, origin_host = origin.partition("://")
    host = edge_auth.header(headers, b"host") or ""
    request_scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
    if not host or not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
        return False
    return _origin_parts(scheme, origin_host) == _origin_parts(request_scheme, host)


class ExactOriginValidator(BaseMiddleware):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if not origin_is_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await super().__call__(scope, receive, send)


def websocket_auth(inner: ASGIApp) -> ASGIApp:
    # A browser cannot set an Authorization header on a WebSocket, so the bearer path needs no
    # origin check; the cookie path does, or any site could ride on the user's cookie.
    by_cookie = ExactOriginValidator(AuthMiddlewareStack(CookieSessionIdMiddleware(inner)))
    by_bearer = BearerTokenAuthMiddleware(inner)

    async def route(scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if bearer_token(scope) is not None:
            return await by_bearer(scope, receive, send)
        return await by_cookie(scope, receive, send)

    return route
