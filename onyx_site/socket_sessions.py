"""The sockets of this process, by session: one sweep every few seconds closes those whose
session ended by itself (the 24-hour limit, the idle timeout, a record that vanished).

A revocation closes its sockets at once through the session's group (events.py); this sweep
catches the rest. One task and one Redis round trip per process, not a task per socket.
"""

import asyncio
import logging
from collections import defaultdict
from typing import Protocol

from asgiref.sync import sync_to_async
from django.conf import settings

from accounts import session_registry
from onyx_site.outages import is_outage

log = logging.getLogger(__name__)


class SessionSocket(Protocol):
    async def session_ended(self, reason: str) -> None: ...

    async def services_unavailable(self) -> None: ...


_sockets: defaultdict[str, set[SessionSocket]] = defaultdict(set)
_sweeper: asyncio.Task[None] | None = None


def watch(sid: str, socket: SessionSocket) -> None:
    global _sweeper
    _sockets[sid].add(socket)
    loop = asyncio.get_running_loop()
    if _sweeper is None or _sweeper.done() or _sweeper.get_loop() is not loop:
        _sweeper = loop.create_task(_sweep_forever())


def forget(sid: str, socket: SessionSocket) -> None:
    sockets = _sockets.get(sid)
    if sockets is not None:
        sockets.discard(socket)
        if not sockets:
            del _sockets[sid]


async def _sweep_forever() -> None:
    while _sockets:
        await asyncio.sleep(settings.ONYX_WEBSOCKET_RECHECK_SECONDS)
        try:
            await sweep()
        except Exception as error:
            if not is_outage(error):
                log.exception("Could not re-check the sessions of open sockets")
                continue
            # Redis is out of reach: every socket closes with "try again later" and its page
            # reconnects (and is checked again) once Redis is back.
            for sid in list(_sockets):
                for socket in list(_sockets.pop(sid, ())):
                    await socket.services_unavailable()


async def sweep() -> None:
    sids = list(_sockets)
    alive = await session_registry.alive_session_ids(sids)
    for sid in sids:
        if sid not in alive:
            reason = await sync_to_async(session_registry.why_ended)(sid)
            for socket in list(_sockets.pop(sid, ())):
                await socket.session_ended(reason)
