"""The one place that names live events and publishes them to a user's sockets.

Every event gets a per-user, increasing `seq` and is kept for a while in a per-user log in Redis
(onyx_site/live_state.py), so a tab that reconnects, or notices a gap in `seq`, gets exactly what
it missed (Zulip's `last_event_id` idea, kept small). Events go only to the owner's group.
"""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

from onyx_site import live_state
from onyx_site.live_state import ReplyText

# Message type on the channel layer -> handler name on the consumer.
LIVE_EVENT = "live.event"
LIVE_EVENTS = "live.events"
SESSION_REVOKED = "session.revoked"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(sid: str) -> str:
    # Group names allow only ASCII letters, digits, hyphens, underscores and periods.
    return f"session.{sid}"


def pubsub_channel(group: str) -> str:
    """The Redis channel on which channels-redis's Pub/Sub layer sends to `group` (a test
    checks it against the layer's own)."""
    return f"{settings.CHANNEL_LAYER_PREFIX}__group__{group}"


def _group_send(group: str, message: dict[str, Any]) -> None:
    """group_send from sync code (a request's thread, a worker's database thread). On the
    Pub/Sub layer it is one PUBLISH, made here with the sync client: async_to_sync would hop to
    the event loop and wait for it, and under a burst a message POST spent 13 % of its time
    waiting there, holding its database connection."""
    layer = get_channel_layer()
    if isinstance(layer, RedisPubSubChannelLayer):
        live_state.publish(pubsub_channel(group), layer.serialize(message))
    elif layer is not None:
        async_to_sync(layer.group_send)(group, message)


def publish(user_id: int, event: dict[str, Any]) -> dict[str, Any]:
    """Send an event (it must have a `type`) to every open tab of this user. From sync code."""
    stored = live_state.store_event(user_id, event)
    _group_send(user_group(user_id), {"type": LIVE_EVENT, "event": stored})
    return stored


def publish_many(user_id: int, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Several events, in order, to every open tab of this user: one Redis round trip and one
    channel-layer message for all of them."""
    stored = live_state.store_events(user_id, events)
    _group_send(user_group(user_id), {"type": LIVE_EVENTS, "events": stored})
    return stored


async def apublish_many(user_id: int, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """publish_many() from async code."""
    stored = await live_state.astore_events(user_id, events)
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(user_group(user_id), {"type": LIVE_EVENTS, "events": stored})
    return stored


async def apublish(
    user_id: int, event: dict[str, Any], *, reply_text: ReplyText | None = None
) -> dict[str, Any]:
    """The same from async code. With `reply_text`, the text is also appended to that reply's
    text so far, and the event carries the `offset` (in code points) where it starts."""
    stored = await live_state.astore_event(user_id, event, reply_text)
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(user_group(user_id), {"type": LIVE_EVENT, "event": stored})
    return stored


async def asend_ephemeral(user_id: int, event: dict[str, Any]) -> None:
    """An event not worth replaying (typing pings): no seq, not logged."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(user_group(user_id), {"type": LIVE_EVENT, "event": event})


def close_session_sockets(sid: str, *, reason: str) -> None:
    """Tell every socket opened with this session to say why (`reason`, for the user) and close."""
    _group_send(session_group(sid), {"type": SESSION_REVOKED, "reason": reason})
