"""Users as authenticated API requests see them, cached in Redis beside their sessions: a
request with a token costs one Redis round trip (session and user together), not one to Redis
and one to PostgreSQL. Any save or delete of a user drops the entry (accounts/signals.py)."""

import json

from django.core.exceptions import ValidationError
from django.db.models import Model

from accounts.models import User
from onyx_site.live_state import redis_client

CACHE_SECONDS = 300


def cache_key(user_id: int | str) -> str:
    return f"onyx:auth:user:{user_id}"


def _fields() -> list[object]:
    return list(User._meta.concrete_fields)


def dumps(user: User) -> str:
    return json.dumps(
        {
            f.attname: None if getattr(user, f.attname) is None else f.value_to_string(user)  # type: ignore[attr-defined]
            for f in _fields()
        }
    )


def loads(raw: str | None) -> User | None:
    """The user a cache entry holds, as if read from the database; None for a miss."""
    if raw is None:
        return None
    try:
        stored = json.loads(raw)
        values = {
            f.attname: None if stored[f.attname] is None else f.to_python(stored[f.attname])  # type: ignore[attr-defined]
            for f in _fields()
        }
    except (ValueError, KeyError, ValidationError):
        return None  # written by another version of the model: read it again
    user = User(**values)
    _mark_as_loaded(user)
    return user


def _mark_as_loaded(instance: Model) -> None:
    instance._state.adding = False
    instance._state.db = "default"


def remember(user: User) -> None:
    redis_client().set(cache_key(user.pk), dumps(user), ex=CACHE_SECONDS)


def forget(user_id: int) -> None:
    redis_client().delete(cache_key(user_id))


def active_user(user_id: int | str, cached: str | None) -> User | None:
    """The active user with this id: from the cache entry read beside the session, or from
    PostgreSQL (and then cached) on a miss."""
    user = loads(cached)
    if user is None:
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            return None
        remember(user)
    return user if user.is_active else None
