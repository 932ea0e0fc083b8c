"""The one place that names channel-layer groups and publishes live events to them."""

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

# Handler name on the consumer for each message type: "session.revoked" -> session_revoked().
SESSION_REVOKED = "session.revoked"


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(sid: str) -> str:
    # Group names allow only ASCII letters, digits, hyphens, underscores and periods.
    return f"session.{sid}"


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group, message)


def close_session_sockets(sid: str) -> None:
    """Tell every socket opened with this session to say why and close."""
    _group_send(session_group(sid), {"type": SESSION_REVOKED})
