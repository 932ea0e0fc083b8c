"""Who is asking: the client's IP address and user agent, as recorded on a session."""

from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest

from accounts.session_registry import ActiveSession

# The browser session making the request being handled, if any (set by ActiveSessionMiddleware
# for the length of the request): a password changed by this session's own user keeps it.
request_session: ContextVar[ActiveSession | None] = ContextVar("request_session", default=None)


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a proxy in front must set it (uvicorn --proxy-headers), never a raw header.
    return str(request.META.get("REMOTE_ADDR", ""))


def client_user_agent(request: HttpRequest) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:400]


def current_session_id(request: Any) -> str | None:
    """The registry id of the session making this request: from the JWT, else the cookie session."""
    auth = getattr(request, "auth", None)
    if auth is not None and hasattr(auth, "get"):
        sid = auth.get("sid")
        if sid:
            return str(sid)
    session = getattr(request, "session", None)
    if session is not None:
        sid = session.get("onyx_sid")
        return str(sid) if sid else None
    return None
