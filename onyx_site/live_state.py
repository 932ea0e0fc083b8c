"""The one owner of Redis: the client every module uses, and every key of live state.

Live state is what PostgreSQL does not hold yet: each user's event log and its `seq`, the text of
a reply being written, its writer's lease, its stop flag, and the send-rate counters. Everything
here is keyed by user or message id and expires by itself. The session registry
(accounts/session_registry.py) keeps its records in the same Redis through `redis_client()`.

Offsets into a reply's text count Unicode code points, on the server and in every client.
"""

import asyncio
import json
import time
import weakref
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

import redis
import redis.asyncio
from django.conf import settings

_PREFIX = "onyx:live"
EVENT_LOG_LENGTH = 2000
EVENT_LOG_TTL_SECONDS = 60 * 60
REPLY_TTL_SECONDS = 60 * 60
STOP_FLAG_TTL_SECONDS = 60 * 60
# A reply being written holds a lease that its writer renews; see chats/replies.py.
LEASE_SECONDS = 30


def _client_options() -> dict[str, Any]:
    return {
        "decode_responses": True,
        "socket_connect_timeout": settings.REDIS_CONNECT_TIMEOUT_SECONDS,
        "socket_timeout": settings.REDIS_TIMEOUT_SECONDS,
    }


@cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, **_client_options())


_async_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, redis.asyncio.Redis]" = (
    weakref.WeakKeyDictionary()
)


def aredis_client() -> redis.asyncio.Redis:
    """The async client of the running event loop (an async connection belongs to one loop)."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
    if client is None:
        client = redis.asyncio.Redis.from_url(settings.REDIS_URL, **_client_options())
        _async_clients[loop] = client
    return client


def publish(channel: str, payload: bytes) -> None:
    """Redis PUBLISH from sync code: how onyx_site/events.py sends to a group from a thread."""
    redis_client().publish(channel, payload)


# --- Keys ---------------------------------------------------------------------------------------


def _seq_key(user_id: int) -> str:
    return f"{_PREFIX}:user:{user_id}:seq"


def _log_key(user_id: int) -> str:
    return f"{_PREFIX}:user:{user_id}:log"


def _reply_text_key(message_id: int) -> str:
    return f"{_PREFIX}:reply:{message_id}:text"


def _reply_chars_key(message_id: int) -> str:
    return f"{_PREFIX}:reply:{message_id}:chars"


def _lease_key(message_id: int) -> str:
    return f"{_PREFIX}:reply:{message_id}:lease"


def _stop_key(message_id: int) -> str:
    return f"{_PREFIX}:reply:{message_id}:stop"


def _send_rate_key(user_id: int, window: int) -> str:
    return f"{_PREFIX}:send-rate:{user_id}:{window}"


# --- Events: a per-user seq and log -------------------------------------------------------------

# Give an event its seq and log it; for a delta, also append to the reply's text so far, in the
# same atomic step, so a reader of (text so far, seq) can resume from seq with no gap or overlap.
# KEYS: seq, log, reply text, reply length in code points (the last two '' for other events).
# ARGV: event body, log length, delta, delta length in code points, log ttl, reply ttl, reset.
_STORE_EVENT = """
local seq = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[5])
local offset = -1
if KEYS[3] ~= '' then
    if ARGV[7] == '1' then
        redis.call('DEL', KEYS[3])
        redis.call('SET', KEYS[4], '0')
    end
    offset = tonumber(redis.call('GET', KEYS[4]) or '0')
    redis.call('APPEND', KEYS[3], ARGV[3])
    redis.call('INCRBY', KEYS[4], ARGV[4])
    redis.call('EXPIRE', KEYS[3], ARGV[6])
    redis.call('EXPIRE', KEYS[4], ARGV[6])
end
redis.call('RPUSH', KEYS[2], seq .. ' ' .. offset .. ' ' .. ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[2], ARGV[5])
return {seq, offset}
"""
_SNAPSHOT = """
return {redis.call('GET', KEYS[1]) or '', redis.call('GET', KEYS[2]) or '0'}
"""


@dataclass(frozen=True)
class ReplyText:
    """Text to append to a reply's text so far along with its event; `reset` empties it first
    (a reply restarted after its writer was interrupted)."""

    message_id: int
    append: str
    reset: bool = False


def _store_args(
    user_id: int, event: dict[str, Any], reply_text: ReplyText | None
) -> tuple[Any, ...]:
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    if reply_text is None:
        text_key = chars_key = ""
        append, reset = "", False
    else:
        text_key = _reply_text_key(reply_text.message_id)
        chars_key = _reply_chars_key(reply_text.message_id)
        append, reset = reply_text.append, reply_text.reset
    return (
        _STORE_EVENT,
        4,
        _seq_key(user_id),
        _log_key(user_id),
        text_key,
        chars_key,
        body,
        EVENT_LOG_LENGTH,
        append,
        len(append),
        EVENT_LOG_TTL_SECONDS,
        REPLY_TTL_SECONDS,
        "1" if reset else "0",
    )


def _stored(event: dict[str, Any], result: Any) -> dict[str, Any]:
    seq, offset = cast(list[int], result)
    stored = {**event, "seq": int(seq)}
    if int(offset) >= 0:
        stored["offset"] = int(offset)
    return stored


def store_event(
    user_id: int, event: dict[str, Any], reply_text: ReplyText | None = None
) -> dict[str, Any]:
    """Log the event under the user's next seq; returns it with `seq` (and `offset`)."""
    return _stored(event, redis_client().eval(*_store_args(user_id, event, reply_text)))


# Several events at once (a sent message: the message, its reply, the chat): one round trip.
# KEYS: seq, log. ARGV: log length, log ttl, then the event bodies.
_STORE_EVENTS = """
local seqs = {}
for i = 3, #ARGV do
    local seq = redis.call('INCR', KEYS[1])
    redis.call('RPUSH', KEYS[2], seq .. ' -1 ' .. ARGV[i])
    seqs[#seqs + 1] = seq
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[1]), -1)
redis.call('EXPIRE', KEYS[2], ARGV[2])
return seqs
"""


def _store_events_args(user_id: int, events: list[dict[str, Any]]) -> tuple[Any, ...]:
    bodies = [json.dumps(event, separators=(",", ":"), ensure_ascii=False) for event in events]
    return (
        _STORE_EVENTS,
        2,
        _seq_key(user_id),
        _log_key(user_id),
        EVENT_LOG_LENGTH,
        EVENT_LOG_TTL_SECONDS,
        *bodies,
    )


def _with_seqs(events: list[dict[str, Any]], seqs: Any) -> list[dict[str, Any]]:
    return [{**event, "seq": int(seq)} for event, seq in zip(events, seqs, strict=True)]


def store_events(user_id: int, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Log several events, in order, under the user's next seqs; returns them with `seq`."""
    return _with_seqs(events, redis_client().eval(*_store_events_args(user_id, events)))


async def astore_events(user_id: int, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seqs = await aredis_client().eval(*_store_events_args(user_id, events))  # type: ignore[misc]
    return _with_seqs(events, seqs)


async def astore_event(
    user_id: int, event: dict[str, Any], reply_text: ReplyText | None = None
) -> dict[str, Any]:
    result = await aredis_client().eval(*_store_args(user_id, event, reply_text))  # type: ignore[misc]
    return _stored(event, result)


@dataclass(frozen=True)
class Missed:
    events: list[dict[str, Any]]
    # True when the log no longer reaches back to the asked seq: reload from the API instead.
    too_old: bool
    current_seq: int


def _missed(current: int, raw: list[str], last_seq: int) -> Missed:
    if last_seq >= current:
        return Missed(events=[], too_old=last_seq > current, current_seq=current)
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
    return Missed(events=events, too_old=oldest_kept > last_seq + 1, current_seq=current)


async def aevents_since(user_id: int, last_seq: int) -> Missed:
    """Every logged event after `last_seq`, or `too_old` when the log no longer reaches back."""
    async with aredis_client().pipeline(transaction=True) as pipe:
        pipe.get(_seq_key(user_id))
        pipe.lrange(_log_key(user_id), 0, -1)
        current, raw = await pipe.execute()
    return _missed(int(current or 0), raw, last_seq)


def current_seq(user_id: int) -> int:
    return int(cast(str | None, redis_client().get(_seq_key(user_id))) or 0)


async def acurrent_seq(user_id: int) -> int:
    return int(await aredis_client().get(_seq_key(user_id)) or 0)


# --- A reply being written ------------------------------------------------------------------------


def reply_snapshot(user_id: int, message_id: int) -> tuple[str, int]:
    """The text streamed so far for a reply, and the user's seq at that same moment."""
    text, seq = cast(
        list[str],
        redis_client().eval(_SNAPSHOT, 2, _reply_text_key(message_id), _seq_key(user_id)),
    )
    return text, int(seq)


def reply_texts(message_ids: list[int]) -> dict[int, str]:
    """The text so far of several replies at once (absent ones are left out)."""
    if not message_ids:
        return {}
    texts = cast(list[str | None], redis_client().mget([_reply_text_key(i) for i in message_ids]))
    return {i: t for i, t in zip(message_ids, texts, strict=True) if t is not None}


async def areply_text(message_id: int) -> str | None:
    return cast(str | None, await aredis_client().get(_reply_text_key(message_id)))


def request_stop(message_id: int) -> None:
    redis_client().set(_stop_key(message_id), "1", ex=STOP_FLAG_TTL_SECONDS)


async def astop_requested(message_id: int) -> bool:
    return bool(await aredis_client().exists(_stop_key(message_id)))


async def atake_over(message_id: int) -> tuple[str | None, bool]:
    """A writer starts on a reply: take its lease, and read the text the tabs already show
    (from an earlier attempt, None if there is none) and whether a stop was asked for."""
    async with aredis_client().pipeline(transaction=False) as pipe:
        pipe.set(_lease_key(message_id), "1", ex=LEASE_SECONDS)
        pipe.get(_reply_text_key(message_id))
        pipe.exists(_stop_key(message_id))
        _, shown, stop = await pipe.execute()
    return shown, bool(stop)


async def arenew_lease(message_id: int) -> None:
    await aredis_client().set(_lease_key(message_id), "1", ex=LEASE_SECONDS)


def has_lease(message_id: int) -> bool:
    return bool(redis_client().exists(_lease_key(message_id)))


def _reply_keys(message_id: int) -> list[str]:
    return [
        _reply_text_key(message_id),
        _reply_chars_key(message_id),
        _lease_key(message_id),
        _stop_key(message_id),
    ]


def forget_reply(message_id: int) -> None:
    """Drop a finished reply's live state: its text is in PostgreSQL now."""
    redis_client().delete(*_reply_keys(message_id))


async def aforget_reply(message_id: int) -> None:
    await aredis_client().delete(*_reply_keys(message_id))


# --- Send rate ------------------------------------------------------------------------------------


def count_send(user_id: int) -> tuple[int, int]:
    """Count one send in the current minute: (sends this minute, seconds until it ends)."""
    now = time.time()
    key = _send_rate_key(user_id, int(now // 60))
    pipe = redis_client().pipeline()
    pipe.incr(key)
    pipe.expire(key, 61)
    count, _ = pipe.execute()
    return int(count), 60 - int(now) % 60
