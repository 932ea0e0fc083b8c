"""The WebSocket edge: one socket per tab, authenticated, in its user's and session's groups."""

import asyncio
from contextlib import suppress
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts import session_registry
from accounts.ws_auth import SCOPE_SESSION_ID
from onyx_site import events, live_state

CLOSE_UNAUTHORIZED = 4401


def _is_seq(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.session_id: str | None = None
        self.recheck_task: asyncio.Task[None] | None = None
        user = self.scope.get("user")
        sid = self.scope.get(SCOPE_SESSION_ID)
        session = None
        if user is not None and user.is_authenticated and sid:
            session = await database_sync_to_async(session_registry.get_session)(sid)
        # Accept, then close: a close before accept reaches a browser as a bare 1006 with no reason.
        await self.accept()
        if session is None or user is None or session.user_id != user.pk:
            await self.close(code=CLOSE_UNAUTHORIZED)
            return
        self.session_id = session.sid
        for group in (events.user_group(user.pk), events.session_group(session.sid)):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups.append(group)
        self.user_id: int = user.pk
        self.recheck_task = asyncio.create_task(self._close_when_session_ends())
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
        if self.recheck_task is not None:
            self.recheck_task.cancel()
            with suppress(asyncio.CancelledError):
                await self.recheck_task

    @classmethod
    async def decode_json(cls, text_data: str) -> Any:
        # A malformed frame from a client is ignored, not a crash that closes the socket.
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Clients only send pings, acknowledgements and typing notices; sending messages
        goes through HTTP so it is validated and idempotent."""
        if not isinstance(content, dict) or self.session_id is None:
            return
        kind = content.get("type")
        if kind == "ping":
            # With the user's current seq: a tab that lost the last events of a burst (no later
            # event shows it the gap) learns it here and asks for them.
            current = await live_state.acurrent_seq(self.user_id)
            await self.send_json({"type": "pong", "current_seq": current})
        elif kind == "replay" and _is_seq(content.get("after")):
            # The tab saw a gap in seq (an event lost on the way): send what it missed.
            await self._replay_since(content["after"])
            await self.send_json({"type": "replay.done", "after": content["after"]})
        elif kind == "typing" and isinstance(content.get("chat_id"), int):
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

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections before every handler: a hop to its one
        # shared sync thread and back, for every event to every socket, which under a burst
        # queues the events of all sockets of the process (and the requests' own sync work)
        # behind each other. Relaying an event touches no database, so it skips that hop.
        if message["type"] == events.LIVE_EVENT:
            await self.live_event(message)
            return
        await super().dispatch(message)

    async def live_event(self, message: dict[str, Any]) -> None:
        """group_send(type="live.event"): an event for this user, published by events.py."""
        event = message["event"]
        if event.get("origin") == self.channel_name:
            return  # this tab's own typing notice
        await self.send_json({k: v for k, v in event.items() if k != "origin"})

    async def session_revoked(self, message: dict[str, Any]) -> None:
        """group_send(type="session.revoked"): sign-out, revocation or expiry elsewhere."""
        await self._end("Your session ended. Sign in again.")

    async def _end(self, reason: str) -> None:
        await self.send_json({"type": "session.revoked", "reason": reason})
        await self.close(code=CLOSE_UNAUTHORIZED)

    async def _close_when_session_ends(self) -> None:
        # The group message closes a socket at once; this catches sessions that simply ran out
        # (24 h, idle) or whose Redis record vanished without a message.
        while True:
            await asyncio.sleep(settings.ONYX_WEBSOCKET_RECHECK_SECONDS)
            alive = await database_sync_to_async(session_registry.get_session)(self.session_id)
            if alive is None:
                await self._end("Your session expired. Sign in again.")
                return
