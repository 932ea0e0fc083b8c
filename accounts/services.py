"""Everything that changes who is signed in: sign-in, sign-out, revocation, password change."""

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.http import HttpRequest

from accounts import jwt, session_registry
from accounts.jwt import TokenPair
from accounts.login_throttle import is_locked_out
from accounts.models import User, normalize_email_address
from accounts.request_info import client_ip, client_user_agent

# Where a browser session keeps the id of its registry record.
SESSION_ID_KEY = "onyx_sid"


class LoginLockedOut(Exception):
    pass


class InvalidCredentials(Exception):
    pass


class SessionNotFound(Exception):
    pass


def check_credentials(*, request: HttpRequest, email: str, password: str) -> User:
    """The user behind email + password, counting failures toward a lockout."""
    email = normalize_email_address(email)
    if is_locked_out(request, email):
        raise LoginLockedOut
    user = authenticate(request, email=email, password=password)
    if user is None or not isinstance(user, User):
        if is_locked_out(request, email):
            raise LoginLockedOut
        raise InvalidCredentials
    return user


def sign_in_browser(*, request: HttpRequest, email: str, password: str) -> User:
    user = check_credentials(request=request, email=email, password=password)
    # login() cycles the session key; the user_logged_in signal records the session.
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return user


def record_browser_session(*, request: HttpRequest, user: User) -> None:
    """Give a fresh Django session its registry record and its absolute expiry."""
    session = request.session
    if session.session_key is None:
        session.save()
    active = session_registry.start_session(
        user_id=user.pk,
        kind="browser",
        ip=client_ip(request),
        user_agent=client_user_agent(request),
        django_session_key=session.session_key or "",
    )
    session[SESSION_ID_KEY] = active.sid
    # A datetime expiry keeps the cookie and the Redis TTL from ever outliving the session.
    session.set_expiry(active.expires_at)
    session.save()


def sign_in_api(*, request: HttpRequest, email: str, password: str) -> TokenPair:
    user = check_credentials(request=request, email=email, password=password)
    AxesProxyHandler.user_logged_in(sender=User, request=request, user=user)
    active = session_registry.start_session(
        user_id=user.pk,
        kind="api",
        ip=client_ip(request),
        user_agent=client_user_agent(request),
    )
    return jwt.issue_token_pair(user=user, session=active)


def sign_out(*, request: HttpRequest, sid: str | None) -> None:
    """End the caller's own session, browser or API, at once."""
    if sid:
        session_registry.end_session(sid, reason="signed_out")
    if getattr(request, "session", None) is not None and request.session.session_key:
        logout(request)


def sign_up(*, request: HttpRequest, email: str, password: str) -> User:
    user = User.objects.create_user(email=email, password=password)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return user


def check_own_session(*, user: User, sid: str) -> None:
    """SessionNotFound unless `sid` is one of the user's live sessions: someone else's id is
    simply not found."""
    if sid not in {s.sid for s in session_registry.list_sessions(user.pk)}:
        raise SessionNotFound


def revoke_session(*, user: User, sid: str) -> None:
    """End one of the user's own sessions."""
    check_own_session(user=user, sid=sid)
    session_registry.end_session(sid, reason="revoked")


def revoke_other_sessions(*, user: User, current_sid: str | None) -> int:
    return session_registry.end_user_sessions(user.pk, keep_sid=current_sid, reason="revoked")


def revoke_all_sessions(*, user: User) -> int:
    """An operator ends every session of a user."""
    return session_registry.end_user_sessions(user.pk, keep_sid=None, reason="revoked_by_operator")


def change_password(
    *, request: HttpRequest, user: User, new_password: str, current_sid: str | None
) -> int:
    """Set the new password; every other session of the user ends (accounts/signals.py ends
    them on any password change), this one stays. Returns how many others there were."""
    others = [s for s in session_registry.list_sessions(user.pk) if s.sid != current_sid]
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    if getattr(request, "session", None) is not None and request.user.is_authenticated:
        update_session_auth_hash(request, user)
    return len(others)


def update_preferences(*, user: User, theme: str, send_shortcut: str) -> User:
    user.theme = theme
    user.send_shortcut = send_shortcut
    user.save(update_fields=["theme", "send_shortcut", "updated_at"])
    return user
