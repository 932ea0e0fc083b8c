"""JWT pairs bound to a server-side session: a token is only as alive as its session."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token
from rest_framework_simplejwt.utils import aware_utcnow

from accounts import session_registry, user_cache
from accounts.models import User

SESSION_ID_CLAIM = "sid"
REFRESH_NOT_VALID = "This refresh token is not valid or has expired. Sign in again."
ACCESS_NOT_VALID = "This access token is not valid or has expired. Refresh it or sign in again."
# Access tokens whose signature was checked, by their exact text; a client sends the same one on
# every request until it expires. Bounded: past this many, the next token starts afresh.
VALIDATED_TOKENS_KEPT = 4096


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


def _live_session(token: Token) -> tuple[User, session_registry.ActiveSession]:
    """The user and session a token belongs to, while both are alive; else why not."""
    sid = token.get(SESSION_ID_CLAIM)
    session = session_registry.get_session(sid)
    if session is None or str(session.user_id) != str(token.get("user_id")):
        raise SessionEnded(session_registry.why_ended(sid))
    user = User.objects.filter(pk=session.user_id, is_active=True).first()
    if user is None:
        raise SessionEnded(session_registry.END_MESSAGES["deactivated"])
    return user, session


def rotate_refresh_token(raw_refresh: str) -> TokenPair:
    """A new pair for the same session; the presented refresh token stops working.

    A refresh token that was already rotated away and comes back means two parties hold the
    session's tokens (one stole them): the whole session ends, the newer tokens with it, as
    the OAuth 2.0 Security Best Current Practice (RFC 9700, 4.14.2) recommends."""
    try:
        old = RefreshToken(raw_refresh)  # type: ignore[arg-type]
    except TokenError as exc:
        raise SessionEnded(REFRESH_NOT_VALID) from exc
    user, session = _live_session(old)
    new = RefreshToken.for_user(user)
    new[SESSION_ID_CLAIM] = session.sid
    _cap_expiry(new, session.expires_at)
    swapped = session_registry.swap_refresh_jti(
        session.sid, expected=str(old["jti"]), new=str(new["jti"])
    )
    if not swapped:
        session_registry.end_session(session.sid, reason="refresh_reused")
        raise SessionEnded(session_registry.END_MESSAGES["refresh_reused"])
    access = new.access_token
    _cap_expiry(access, session.expires_at)
    return TokenPair(access=str(access), refresh=str(new))


def session_for_access_token(raw_access: str) -> tuple[User, session_registry.ActiveSession]:
    """Used by the WebSocket edge, where DRF's authentication classes do not run."""
    try:
        token = AccessToken(raw_access)  # type: ignore[arg-type]
    except TokenError as exc:
        raise SessionEnded(ACCESS_NOT_VALID) from exc
    return _live_session(token)


class SessionBoundJWTAuthentication(JWTAuthentication):
    """SimpleJWT's check of the token, plus: its session must still be alive in Redis. The
    session and the user are read together in one Redis round trip (the user from a cache that
    any change to it clears), so a request needs no PostgreSQL query to authenticate.

    The signature of a token is checked once per process: the same text has the same claims,
    so a token seen before is only checked for expiry again (~30 µs a request less). Whether
    its session lives is still asked of Redis on every request: logout and revocation still
    end it at once."""

    _validated: dict[bytes, Token] = {}

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = self._validated.get(raw_token)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())
                return token
            except TokenError:
                self._validated.pop(raw_token, None)  # expired: SimpleJWT says so below
        token = super().get_validated_token(raw_token)
        if len(self._validated) >= VALIDATED_TOKENS_KEPT:
            self._validated.clear()
        self._validated[raw_token] = token
        return token

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        header = self.get_header(request)
        raw_token = self.get_raw_token(header) if header is not None else None
        if raw_token is None:
            return None
        token = self.get_validated_token(raw_token)
        sid, user_id = token.get(SESSION_ID_CLAIM), token.get("user_id")
        session, cached_user = session_registry.session_with_cached_user(sid, user_id)
        if session is None or str(session.user_id) != str(user_id):
            raise AuthenticationFailed(session_registry.why_ended(sid), code="session_ended")
        user = user_cache.active_user(session.user_id, cached_user)
        if user is None:
            raise AuthenticationFailed(
                session_registry.END_MESSAGES["deactivated"], code="user_inactive"
            )
        session_registry.touch_session(session)
        return user, token
