"""Who is signed in, judged from a request's raw ASGI headers alone: for the checks that run
before Django or Channels build a request (body limits, the WebSocket's bearer path).

Cheap on purpose: a signature check or a session read, and one registry read in Redis; no
database query. The registry record is the truth ("is this session alive"), and deactivating a
user ends their records.
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_USER_ID_KEY
from django.http.cookie import parse_cookie
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken

from accounts import session_registry
from accounts.services import SESSION_ID_KEY
from accounts.session_store import SessionStore

Headers = Iterable[tuple[bytes, bytes]]


def header(headers: Headers, name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin1")
    return None


def bearer_token(headers: Headers) -> str | None:
    kind, _, token = (header(headers, b"authorization") or "").partition(" ")
    if kind.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _live_user_id(sid: Any, claimed_user_id: Any) -> int | None:
    session = session_registry.get_session(str(sid) if sid else None)
    if session is None or str(session.user_id) != str(claimed_user_id):
        return None
    return session.user_id


def signed_in_user_id(headers: Headers) -> int | None:
    """The user id behind a live session, by Bearer token or session cookie; else None."""
    token = bearer_token(headers)
    if token is not None:
        try:
            access = AccessToken(token)  # type: ignore[arg-type]
        except TokenError:
            return None
        return _live_user_id(access.get("sid"), access.get("user_id"))
    cookies = parse_cookie(header(headers, b"cookie") or "")
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None
    session = SessionStore(session_key=session_key)
    return _live_user_id(session.get(SESSION_ID_KEY), session.get(AUTH_USER_ID_KEY))
