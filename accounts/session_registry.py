"""Every live sign-in of a user, browser or API, as one record in Redis.

A record is the single source of truth for "is this session still alive": the Django session
(browser) and the JWT pair (API) both carry its id, and both are refused the moment the record is
gone or past its absolute expiry. Records expire in Redis by themselves too.
"""

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, cast

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from accounts import user_cache
from accounts.devices import device_name
from accounts.session_store import SessionStore
from onyx_site import events
from onyx_site.live_state import aredis_client, redis_client

SessionKind = Literal["browser", "api"]
# Why a session ended, kept for a day after it did, so whoever still holds its cookie, token or
# socket is told what happened rather than a generic "expired".
EndReason = Literal[
    "signed_out", "revoked", "revoked_by_operator", "password_changed", "deactivated",
    "refresh_reused", "expired",
]  # fmt: skip
END_MESSAGES: dict[str, str] = {
    "signed_out": "You signed out. Sign in again.",
    "revoked": "You were signed out from another device. Sign in again.",
    "revoked_by_operator": "An administrator signed you out. Sign in again.",
    "password_changed": "Your password was changed, so you were signed out. Sign in again.",
    "deactivated": "Your account was deactivated. Ask an administrator for help.",
    "refresh_reused": "An old refresh token of this session was used again, so the session "
    "was ended to be safe. Sign in again.",
    "expired": "Your session expired. Sign in again.",
}

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
        return _alive(self.expires_at, self.last_seen, now)


def _alive(expires_at: datetime, last_seen: datetime, now: datetime) -> bool:
    if now >= expires_at:
        return False
    idle = settings.ONYX_SESSION_IDLE_MINUTES
    return not idle or now - last_seen < timedelta(minutes=idle)


# redis-py types its sync replies as "T | Awaitable[T]"; these two say which one we get.
def _fields(key: str) -> dict[str, str]:
    return cast(dict[str, str], redis_client().hgetall(key))


def _members(key: str) -> set[str]:
    return cast(set[str], redis_client().smembers(key))


def _session_key(sid: str) -> str:
    return f"{_PREFIX}:session:{sid}"


def _ended_key(sid: str) -> str:
    return f"{_PREFIX}:ended:{sid}"


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
        end_session(sid, reason="expired")
        return None
    return session


async def aget_session(sid: str | None) -> ActiveSession | None:
    """get_session() from async code, without a thread (a dead one is ended in a thread)."""
    if not sid:
        return None
    session = _decode(sid, await aredis_client().hgetall(_session_key(sid)))  # type: ignore[misc]
    if session is None:
        return None
    if not session.is_alive(timezone.now()):
        await sync_to_async(end_session)(sid, reason="expired")
        return None
    return session


async def alive_session_ids(sids: Collection[str]) -> set[str]:
    """Which of these sessions are alive now, in one round trip to Redis."""
    if not sids:
        return set()
    ordered = list(sids)
    async with aredis_client().pipeline(transaction=False) as pipe:
        for sid in ordered:
            pipe.hmget(_session_key(sid), ["expires_at", "last_seen"])
        rows = await pipe.execute()
    now = timezone.now()
    alive = set()
    for sid, (expires_at, last_seen) in zip(ordered, rows, strict=True):
        if (
            expires_at
            and last_seen
            and _alive(_from_timestamp(expires_at), _from_timestamp(last_seen), now)
        ):
            alive.add(sid)
    return alive


def session_with_cached_user(
    sid: str | None, user_id: object
) -> tuple[ActiveSession | None, str | None]:
    """The session if alive (as get_session) and the cache entry of its user
    (accounts/user_cache.py), read in one round trip to Redis."""
    if not sid:
        return None, None
    pipe = redis_client().pipeline(transaction=False)
    pipe.hgetall(_session_key(sid))
    pipe.get(user_cache.cache_key(str(user_id)))
    fields, cached_user = pipe.execute()
    session = _decode(sid, fields)
    if session is not None and not session.is_alive(timezone.now()):
        end_session(sid, reason="expired")
        session = None
    return session, cached_user


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


def end_session(sid: str, *, reason: EndReason) -> ActiveSession | None:
    """Delete the record and the Django session behind it; open sockets are told why and close."""
    client = redis_client()
    key = _session_key(sid)
    session = _decode(sid, _fields(key))
    client.delete(key)
    if session is None:
        return None
    client.set(_ended_key(sid), reason, ex=int(settings.ONYX_SESSION_MAX_AGE.total_seconds()))
    client.srem(_user_index_key(session.user_id), sid)
    if session.django_session_key:
        SessionStore(session_key=session.django_session_key).delete()
    events.close_session_sockets(sid, reason=END_MESSAGES[reason])
    return session


def end_user_sessions(user_id: int, *, keep_sid: str | None, reason: EndReason) -> int:
    """End every session of the user except `keep_sid` (None ends them all)."""
    sids = _members(_user_index_key(user_id))
    ended = 0
    for sid in sids:
        if sid != keep_sid and end_session(sid, reason=reason) is not None:
            ended += 1
    return ended


def why_ended(sid: str | None) -> str:
    """What to tell the holder of a session that is no longer alive."""
    reason = cast(str | None, redis_client().get(_ended_key(sid))) if sid else None
    return END_MESSAGES.get(reason or "expired", END_MESSAGES["expired"])
