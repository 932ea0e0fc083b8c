"""The one place that names live events and publishes them to a user's sockets.

Every event gets a per-user, increasing `seq` and is kept for a while in a per-user log in Redis,
so a tab that reconnects with the last `seq` it saw gets exactly what it missed (Zulip's
`last_event_id` idea, kept small). Events go only to the owner's group, never anyone else's.
"""

import asyncio
import json
from dataclasses import dataclass
from typing import Any, cast

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from accounts.session_registry import redis_client

# Message type on the channel layer -> handler name on the consumer.
LIVE_EVENT = "live.event"
SESSION_REVOKED = "session.revoked"

EVENT_LOG_LENGTH = 2000
EVENT_LOG_TTL_SECONDS = 60 * 60
PARTIAL_REPLY_TTL_SECONDS = 60 * 60

_PREFIX = "onyx:live"

# Store an event and, for a streamed delta, the reply text so far, in one atomic step: a page
# that reads (text so far, current seq) together can then resume from seq with no gap or overlap.
_PUBLISH = """
local seq = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
local offset = -1
if KEYS[3] ~= '' then
    offset = redis.call('STRLEN', KEYS[3])
    redis.call('APPEND', KEYS[3], ARGV[3])
    redis.call('EXPIRE', KEYS[3], ARGV[5])
end
redis.call('RPUSH', KEYS[2], seq .. ' ' .. offset .. ' ' .. ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {seq, offset}
"""
_SNAPSHOT = """
return {redis.call('GET', KEYS[1]) or '', redis.call('GET', KEYS[2]) or '0'}
"""


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(sid: str) -> str:
    # Group names allow only ASCII letters, digits, hyphens, underscores and periods.
    return f"session.{sid}"


def _seq_key(user_id: int) -> str:
    return f"{_PREFIX}:user:{user_id}:seq"


def _log_key(user_id: int) -> str:
    return f"{_PREFIX}:user:{user_id}:log"


def partial_reply_key(message_id: int) -> str:
    return f"{_PREFIX}:reply:{message_id}:text"


def _store(user_id: int, event: dict[str, Any], append_to: int | None = None) -> dict[str, Any]:
    """Give the event its seq and log it; for a delta, also append to the reply text."""
    body = json.dumps(event, separators=(",", ":"))
    partial_key = partial_reply_key(append_to) if append_to is not None else ""
    seq, offset = cast(
        list[int],
        redis_client().eval(
            _PUBLISH,
            3,
            _seq_key(user_id),
            _log_key(user_id),
            partial_key,
            body,
            EVENT_LOG_LENGTH,
            event.get("delta", ""),
            EVENT_LOG_TTL_SECONDS,
            PARTIAL_REPLY_TTL_SECONDS,
        ),
    )
    stored = {**event, "seq": int(seq)}
    if int(offset) >= 0:
        stored["offset"] = int(offset)
    return stored


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)


def publish(user_id: int, event: dict[str, Any]) -> dict[str, Any]:
    """Send an event (it must have a `type`) to every open tab of this user. From sync code."""
    stored = _store(user_id, event)
    _group_send(user_group(user_id), {"type": LIVE_EVENT, "event": stored})
    return stored


async def apublish(
    user_id: int, event: dict[str, Any], *, append_to: int | None = None
) -> dict[str, Any]:
    """The same from async code. With `append_to`, the event's `delta` is also appended to that
    reply's text so far, and the event carries the `offset` the delta starts at."""
    stored = await asyncio.to_thread(_store, user_id, event, append_to)
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(user_group(user_id), {"type": LIVE_EVENT, "event": stored})
    return stored


async def asend_ephemeral(user_id: int, event: dict[str, Any]) -> None:
    """An event not worth replaying (typing pings): no seq, not logged."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(user_group(user_id), {"type": LIVE_EVENT, "event": event})


@dataclass(frozen=True)
class Missed:
    events: list[dict[str, Any]]
    # True when the log no longer reaches back to the asked seq: reload from the API instead.
    too_old: bool


def events_since(user_id: int, last_seq: int) -> Missed:
    client = redis_client()
    current = int(cast(str | None, client.get(_seq_key(user_id))) or 0)
    if last_seq >= current:
        return Missed(events=[], too_old=last_seq > current)
    raw = cast(list[str], client.lrange(_log_key(user_id), 0, -1))
    events = []
    for item in raw:
        seq_text, offset_text, body = item.split(" ", 2)
        seq = int(seq_text)
        if seq > last_seq:
            event = json.loads(body)
            event["seq"] = seq
            if int(offset_text) >= 0:
                event["offset"] = int(offset_text)
            events.append(event)
    oldest_kept = int(raw[0].split(" ", 1)[0]) if raw else current + 1
    return Missed(events=events, too_old=oldest_kept > last_seq + 1)


def reply_snapshot(user_id: int, message_id: int) -> tuple[str, int]:
    """The text streamed so far for a reply, and the user's seq at that same moment."""
    text, seq = cast(
        list[str],
        redis_client().eval(_SNAPSHOT, 2, partial_reply_key(message_id), _seq_key(user_id)),
    )
    return text, int(seq)


def current_seq(user_id: int) -> int:
    return int(cast(str | None, redis_client().get(_seq_key(user_id))) or 0)


def close_session_sockets(sid: str) -> None:
    """Tell every socket opened with this session to say why and close."""
    _group_send(session_group(sid), {"type": SESSION_REVOKED})
