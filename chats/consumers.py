"""The WebSocket edge: one socket per tab, authenticated, in its user's and session's groups."""

import asyncio
from contextlib import suppress
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts import session_registry
from accounts.ws_auth import SCOPE_SESSION_ID
from onyx_site import events

CLOSE_UNAUTHORIZED = 4401


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
        self.recheck_task = asyncio.create_task(self._close_when_session_ends())
        await self.send_json({"type": "hello", "user_id": user.pk})

    async def disconnect(self, code: int) -> None:
        if self.recheck_task is not None:
            self.recheck_task.cancel()
            with suppress(asyncio.CancelledError):
                await self.recheck_task

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

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
