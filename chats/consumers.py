"""The WebSocket edge: one socket per tab, authenticated, in its user's and session's groups."""

from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from accounts import session_registry
from accounts.ws_auth import SCOPE_SESSION_ID
from chats.typing_throttle import TypingThrottle
from onyx_site import events, gc_tuning, live_state, socket_sessions
from onyx_site.outages import CLOSE_TRY_AGAIN_LATER

CLOSE_UNAUTHORIZED = 4401
# Clients send pings, replay requests and typing notices: a few dozen bytes each.
MAX_FRAME_CHARS = 4096


def _is_seq(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


def _is_id(value: Any) -> bool:
    # Ids are PostgreSQL bigints; a larger number could not even be sent on through Redis.
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.session_id: str | None = None
        self.typing_throttle = TypingThrottle()
        user = self.scope.get("user")
        sid = self.scope.get(SCOPE_SESSION_ID)
        session = None
        if user is not None and user.is_authenticated and sid:
            session = await session_registry.aget_session(sid)
        # Accept, then close: a close before accept reaches a browser as a bare 1006 with no reason.
        await self.accept()
        if session is None or user is None or session.user_id != user.pk:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        self.session_id = session.sid
        gc_tuning.socket_opened()  # counted as closed in disconnect(), as it has a session_id
        for group in (events.user_group(user.pk), events.session_group(session.sid)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups.append(group)
        self.user_id: int = user.pk
        socket_sessions.watch(session.sid, self)
        seq = await live_state.acurrent_seq(user.pk)
        await self.send_json({"type": "hello", "user_id": user.pk, "seq": seq})
        last_seq = self._last_seq_asked()
        if last_seq is not None:
            await self._replay_since(last_seq)

    def _last_seq_asked(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        try:
            return int(query["last_seq"][0])
        except (KeyError, ValueError, IndexError):
            return None

    async def _replay_since(self, last_seq: int) -> None:
        # Joined the group first, so nothing published from now on is missed; an event that
        # arrives both ways is told apart by its seq on the client.
        missed = await live_state.aevents_since(self.user_id, last_seq)
        if missed.too_old:
            await self.send_json(
                {
                    "type": "resync",
                    "reason": "Too much was missed; reload.",
                    "current_seq": missed.current_seq,
                }
            )
            return
        for event in missed.events:
            await self.send_json(event)

    async def disconnect(self, code: int) -> None:
        if self.session_id is not None:
            socket_sessions.forget(self.session_id, self)
            gc_tuning.socket_closed()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Every frame a client sends gets an answer or an `error` event; none closes the
        socket (binary, empty, oversized, not JSON, nested too deep, unknown or ill-typed)."""
        if self.session_id is None:
            return
        if not text_data:
            await self._refuse("Send JSON text frames.")
            return
        if len(text_data) > MAX_FRAME_CHARS:
            await self._refuse(f"A frame can be at most {MAX_FRAME_CHARS} characters.")
            return
        try:
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):
            await self._refuse("That frame is not valid JSON.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients only send pings, acknowledgements and typing notices; sending messages
        goes through HTTP so it is validated and idempotent."""
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            # With the user's current seq: a tab that lost the last events of a burst (no later
            # event shows it the gap) learns it here and asks for them.
            current = await live_state.acurrent_seq(self.user_id)
            await self.send_json({"type": "pong", "current_seq": current})
        elif kind == "replay" and _is_seq(content.get("after")):
            # The tab saw a gap in seq (an event lost on the way): send what it missed.
            await self._replay_since(content["after"])
            await self.send_json({"type": "replay.done", "after": content["after"]})
        elif kind == "typing" and _is_id(content.get("chat_id")):
            if self.typing_throttle.allow(content["chat_id"]):
                await events.asend_ephemeral(
                    self.user_id,
                    {
                        "type": "typing",
                        "who": "user",
                        "chat_id": content["chat_id"],
                        "on": bool(content.get("on")),
                        "origin": self.channel_name,
                    },
                )
        else:
            await self._refuse(
                'Frames are {"type": "ping"}, {"type": "replay", "after": <seq>} or '
                '{"type": "typing", "chat_id": <id>, "on": true|false}.'
            )

    async def _refuse(self, detail: str) -> None:
        await self.send_json({"type": "error", "detail": detail})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler: a hop to its one
        # shared sync thread and back, for every event to every socket, which under a burst
        # queues the events of all sockets of the process (and the requests' own sync work)
        # behind each other. Relaying an event touches no database, so it skips that hop.
        if message["type"] == events.LIVE_EVENT:
            await self.live_event(message)
            return
        if message["type"] == events.LIVE_EVENTS:
            await self.live_events(message)
            return
        await super().dispatch(message)

    async def live_event(self, message: dict[str, Any]) -> None:
        """group_send(type="live.event"): an event for this user, published by events.py."""
        event = message["event"]
        if event.get("origin") == self.channel_name:
            return  # this tab's own typing notice
        await self.send_json({k: v for k, v in event.items() if k != "origin"})

    async def live_events(self, message: dict[str, Any]) -> None:
        """group_send(type="live.events"): several events at once, in seq order."""
        for event in message["events"]:
            await self.live_event({"event": event})

    async def session_revoked(self, message: dict[str, Any]) -> None:
        """group_send(type="session.revoked"): sign-out, revocation, password change, expiry."""
        await self._end(message.get("reason") or session_registry.END_MESSAGES["expired"])

    async def _end(self, reason: str) -> None:
        await self.send_json({"type": "session.revoked", "reason": reason})
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def session_ended(self, reason: str) -> None:
        """Its session ran out (onyx_site/socket_sessions.py found it in a sweep)."""
        await self._end(reason)

    async def services_unavailable(self) -> None:
        """Redis is out of reach: close so the page says so and reconnects once it is back."""
        await self.close(code=CLOSE_TRY_AGAIN_LATER)
