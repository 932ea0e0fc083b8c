"""JWT pairs bound to a server-side session: a token is only as alive as its session."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from accounts import session_registry
from accounts.models import User

SESSION_ID_CLAIM = "sid"
SESSION_ENDED_MESSAGE = "Your session has ended. Sign in again."


class SessionEnded(Exception):
    pass


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _cap_expiry(token: Token, session_expires_at: datetime) -> None:
    token["exp"] = min(int(token["exp"]), int(session_expires_at.timestamp()))


def issue_token_pair(*, user: User, session: session_registry.ActiveSession) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_ID_CLAIM] = session.sid
    _cap_expiry(refresh, session.expires_at)
    access = refresh.access_token
    _cap_expiry(access, session.expires_at)
    session_registry.set_refresh_jti(session.sid, str(refresh["jti"]))
    return TokenPair(access=str(access), refresh=str(refresh))


def rotate_refresh_token(raw_refresh: str) -> TokenPair:
    """A new pair for the same session; the presented refresh token stops working."""
    try:
        old = RefreshToken(raw_refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise SessionEnded(str(exc)) from exc
    session = session_registry.get_session(old.get(SESSION_ID_CLAIM))
    if session is None or str(session.user_id) != str(old.get("user_id")):
        raise SessionEnded(SESSION_ENDED_MESSAGE)
    user = User.objects.filter(pk=session.user_id, is_active=True).first()
    if user is None:
        raise SessionEnded(SESSION_ENDED_MESSAGE)
    new = RefreshToken.for_user(user)
    new[SESSION_ID_CLAIM] = session.sid
    _cap_expiry(new, session.expires_at)
    swapped = session_registry.swap_refresh_jti(
        session.sid, expected=str(old["jti"]), new=str(new["jti"])
    )
    if not swapped:
        raise SessionEnded("This refresh token was already used.")
    access = new.access_token
    _cap_expiry(access, session.expires_at)
    return TokenPair(access=str(access), refresh=str(new))


def session_for_access_token(raw_access: str) -> tuple[User, session_registry.ActiveSession]:
    """Used by the WebSocket edge, where DRF's authentication classes do not run."""
    try:
        token = AccessToken(raw_access)  # type: ignore[arg-type]
    except TokenError as exc:
        raise SessionEnded(str(exc)) from exc
    session = session_registry.get_session(token.get(SESSION_ID_CLAIM))
    if session is None or str(session.user_id) != str(token.get("user_id")):
        raise SessionEnded(SESSION_ENDED_MESSAGE)
    user = User.objects.filter(pk=session.user_id, is_active=True).first()
    if user is None:
        raise SessionEnded(SESSION_ENDED_MESSAGE)
    return user, session


class SessionBoundJWTAuthentication(JWTAuthentication):
    """SimpleJWT's check, plus: the token's session must still be alive in Redis."""

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        session = session_registry.get_session(token.get(SESSION_ID_CLAIM))
        if session is None or session.user_id != user.pk:
            raise AuthenticationFailed(SESSION_ENDED_MESSAGE, code="session_ended")
        session_registry.touch_session(session)
        return user, token
