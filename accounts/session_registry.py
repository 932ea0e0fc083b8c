"""Every live sign-in of a user, browser or API, as one record in Redis.

A record is the single source of truth for "is this session still alive": the Django session
(browser) and the JWT pair (API) both carry its id, and both are refused the moment the record is
gone or past its absolute expiry. Records expire in Redis by themselves too.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

from django.conf import settings
from django.contrib.sessions.backends.cache import SessionStore
from django.utils import timezone

from accounts.devices import device_name
from onyx_site import events
from onyx_site.live_state import redis_client

SessionKind = Literal["browser", "api"]

_PREFIX = "onyx:auth"
# The record outlives its expiry a little so "expired" can be told apart from "never existed".
_GRACE_SECONDS = 60
_SWAP_REFRESH_JTI = """
if redis.call('HGET', KEYS[1], 'refresh_jti') == ARGV[1] then
    redis.call('HSET', KEYS[1], 'refresh_jti', ARGV[2])
    return 1
end
return 0
"""


@dataclass(frozen=True)
class ActiveSession:
    sid: str
    user_id: int
    kind: SessionKind
    created_at: datetime
    expires_at: datetime
    last_seen: datetime
    ip: str
    user_agent: str
    django_session_key: str = ""
    refresh_jti: str = ""

    @property
    def device(self) -> str:
        """Named for people: "Chrome on Linux", "Safari on iPhone", "python-httpx"."""
        return device_name(self.user_agent)

    def is_alive(self, now: datetime) -> bool:
        if now >= self.expires_at:
            return False
        idle = settings.ONYX_SESSION_IDLE_MINUTES
        return not idle or now - self.last_seen < timedelta(minutes=idle)


# redis-py types its sync replies as "T | Awaitable[T]"; these two say which one we get.
def _fields(key: str) -> dict[str, str]:
    return cast(dict[str, str], redis_client().hgetall(key))


def _members(key: str) -> set[str]:
    return cast(set[str], redis_client().smembers(key))


def _session_key(sid: str) -> str:
    return f"{_PREFIX}:session:{sid}"


def _user_index_key(user_id: int) -> str:
    return f"{_PREFIX}:user:{user_id}:sessions"


def _to_timestamp(moment: datetime) -> str:
    return f"{moment.timestamp():.6f}"


def _from_timestamp(raw: str) -> datetime:
    return datetime.fromtimestamp(float(raw), tz=timezone.get_current_timezone())


def _ttl_seconds(expires_at: datetime, now: datetime) -> int:
    return max(1, int((expires_at - now).total_seconds()) + _GRACE_SECONDS)


def _decode(sid: str, fields: dict[str, str]) -> ActiveSession | None:
    try:
        return ActiveSession(
            sid=sid,
            user_id=int(fields["user_id"]),
            kind="api" if fields["kind"] == "api" else "browser",
            created_at=_from_timestamp(fields["created_at"]),
            expires_at=_from_timestamp(fields["expires_at"]),
            last_seen=_from_timestamp(fields["last_seen"]),
            ip=fields.get("ip", ""),
            user_agent=fields.get("user_agent", ""),
            django_session_key=fields.get("django_session_key", ""),
            refresh_jti=fields.get("refresh_jti", ""),
        )
    except (KeyError, ValueError):
        return None


def start_session(
    *,
    user_id: int,
    kind: SessionKind,
    ip: str,
    user_agent: str,
    django_session_key: str = "",
) -> ActiveSession:
    now = timezone.now()
    session = ActiveSession(
        sid=secrets.token_urlsafe(24),
        user_id=user_id,
        kind=kind,
        created_at=now,
        expires_at=now + settings.ONYX_SESSION_MAX_AGE,
        last_seen=now,
        ip=ip,
        user_agent=user_agent[:400],
        django_session_key=django_session_key,
    )
    key = _session_key(session.sid)
    ttl = _ttl_seconds(session.expires_at, now)
    pipe = redis_client().pipeline()
    pipe.hset(
        key,
        mapping={
            "user_id": str(user_id),
            "kind": kind,
            "created_at": _to_timestamp(session.created_at),
            "expires_at": _to_timestamp(session.expires_at),
            "last_seen": _to_timestamp(now),
            "ip": ip,
            "user_agent": session.user_agent,
            "django_session_key": django_session_key,
            "refresh_jti": "",
        },
    )
    pipe.expire(key, ttl)
    pipe.sadd(_user_index_key(user_id), session.sid)
    pipe.expire(_user_index_key(user_id), int(settings.ONYX_SESSION_MAX_AGE.total_seconds()) * 2)
    pipe.execute()
    return session


def get_session(sid: str | None) -> ActiveSession | None:
    """The session if it is alive now; a dead one is ended on the way."""
    if not sid:
        return None
    session = _decode(sid, _fields(_session_key(sid)))
    if session is None:
        return None
    if not session.is_alive(timezone.now()):
        end_session(sid)
        return None
    return session


def touch_session(session: ActiveSession) -> None:
    """Record activity, at most once a minute per session: a write per request is not needed."""
    now = timezone.now()
    if (now - session.last_seen).total_seconds() < settings.ONYX_SESSION_TOUCH_SECONDS:
        return
    key = _session_key(session.sid)
    client = redis_client()
    if client.exists(key):
        client.hset(key, "last_seen", _to_timestamp(now))


def list_sessions(user_id: int) -> list[ActiveSession]:
    client = redis_client()
    sids = sorted(_members(_user_index_key(user_id)))
    sessions = []
    for sid in sids:
        session = get_session(sid)
        if session is None:
            client.srem(_user_index_key(user_id), sid)
        elif session.user_id == user_id:
            sessions.append(session)
    return sorted(sessions, key=lambda s: s.last_seen, reverse=True)


def attach_django_session(sid: str, django_session_key: str) -> None:
    redis_client().hset(_session_key(sid), "django_session_key", django_session_key)


def set_refresh_jti(sid: str, jti: str) -> None:
    redis_client().hset(_session_key(sid), "refresh_jti", jti)


def swap_refresh_jti(sid: str, *, expected: str, new: str) -> bool:
    """Atomically replace the session's refresh token id; False if `expected` is not current."""
    swapped = redis_client().eval(_SWAP_REFRESH_JTI, 1, _session_key(sid), expected, new)
    return bool(swapped)


def end_session(sid: str) -> ActiveSession | None:
    """Delete the record and the Django session behind it; open sockets are told to close."""
    client = redis_client()
    key = _session_key(sid)
    session = _decode(sid, _fields(key))
    client.delete(key)
    if session is None:
        return None
    client.srem(_user_index_key(session.user_id), sid)
    if session.django_session_key:
        SessionStore(session_key=session.django_session_key).delete()
    events.close_session_sockets(sid)
    return session


def end_user_sessions(user_id: int, *, keep_sid: str | None) -> int:
    """End every session of the user except `keep_sid` (None ends them all)."""
    sids = _members(_user_index_key(user_id))
    ended = 0
    for sid in sids:
        if sid != keep_sid and end_session(sid) is not None:
            ended += 1
    return ended
