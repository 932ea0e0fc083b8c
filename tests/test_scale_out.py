"""Two web processes and a worker process on one PostgreSQL and one Redis, as a deployment
grows: a socket held by one web process gets the reply to a message posted through the other,
and stop and revocation work across them."""

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets
from asgiref.sync import sync_to_async

from accounts.models import User
from tests.conftest import make_user
from tests.waiting import await_until
from tests.web_processes import WebProcess
from tests.workers import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def deployment() -> Iterator[tuple[WebProcess, WebProcess]]:
    webs = (WebProcess(), WebProcess())
    worker = WorkerProcess("replies", ONYX_BUILTIN_WORD_DELAY="0.05")
    try:
        for process in (*webs, worker):
            process.wait_ready()
        yield webs
    finally:
        worker.stop()
        for web in webs:
            web.stop()


async def _tokens(base: str, user: User) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post(
            "/api/auth/token/", json={"email": user.email, "password": PASSWORD}
        )
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def _api(base: str, access: str, method: str, path: str, body: Any = None) -> Any:
    async with httpx.AsyncClient(
        base_url=base, headers={"Authorization": f"Bearer {access}"}
    ) as client:
        return await client.request(method, path, json=body)


class Tab:
    """A socket and everything it received, in order."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.events: list[dict[str, Any]] = []
        self.closed_with: int | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self.socket:
                self.events.append(json.loads(frame))
        except websockets.ConnectionClosed:
            pass
        self.closed_with = self.socket.close_code

    def finished(self, reply_id: int) -> dict[str, Any] | None:
        return next(
            (
                e["message"]
                for e in self.events
                if e["type"] in ("message.completed", "message.failed")
                and e["message"]["id"] == reply_id
            ),
            None,
        )

    def deltas(self, reply_id: int) -> list[dict[str, Any]]:
        return [
            e for e in self.events if e["type"] == "message.delta" and e["message_id"] == reply_id
        ]


async def _open_tab(web: WebProcess, access: str) -> Tab:
    socket = await websockets.connect(
        web.url.replace("http", "ws") + "/ws/",
        additional_headers={"Authorization": f"Bearer {access}"},
    )
    tab = Tab(socket)
    await await_until(lambda: bool(tab.events), what="the hello")
    assert tab.events[0]["type"] == "hello"
    return tab


async def test_a_reply_posted_on_one_web_process_streams_to_a_socket_on_the_other(
    deployment: tuple[WebProcess, WebProcess],
) -> None:
    one, other = deployment
    alice = await sync_to_async(make_user)("alice@example.com")
    access = (await _tokens(one.url, alice))["access"]
    tab = await _open_tab(one, access)
    chat = (await _api(other.url, access, "POST", "/api/chats/", {})).json()
    posted = await _api(
        other.url, access, "POST", f"/api/chats/{chat['id']}/messages/", {"content": "Hello AI"}
    )
    assert posted.status_code == 201, posted.text
    reply_id = posted.json()["reply"]["id"]
    done = await await_until(lambda: tab.finished(reply_id), what="the reply")
    assert done["status"] == "done"
    streamed = "".join(e["delta"] for e in tab.deltas(reply_id))
    assert streamed == done["content"]
    assert streamed.startswith("Hello!")
    await tab.socket.close()


async def test_stop_and_revocation_work_across_web_processes(
    deployment: tuple[WebProcess, WebProcess],
) -> None:
    one, other = deployment
    alice = await sync_to_async(make_user)("alice@example.com")
    access = (await _tokens(one.url, alice))["access"]
    tab = await _open_tab(one, access)
    chat = (await _api(other.url, access, "POST", "/api/chats/", {})).json()
    posted = await _api(
        other.url,
        access,
        "POST",
        f"/api/chats/{chat['id']}/messages/",
        {"content": "Tell me about tides 🌊"},
    )
    reply_id = posted.json()["reply"]["id"]
    await await_until(lambda: tab.deltas(reply_id), what="the first words")
    stop_path = f"/api/chats/{chat['id']}/messages/{reply_id}/stop/"
    assert (await _api(other.url, access, "POST", stop_path)).status_code == 202
    stopped = await await_until(lambda: tab.finished(reply_id), what="the stop")
    assert stopped["status"] == "stopped"

    # Signing out through the other web process closes this socket at once.
    assert (await _api(other.url, access, "POST", "/api/auth/logout/")).status_code == 204
    await await_until(lambda: tab.closed_with is not None, what="the socket to close")
    assert tab.closed_with == 4401
    assert any(e["type"] == "session.revoked" for e in tab.events)
