"""The ASGI handler keeps request threads (onyx_site/asgi_handler.py): a request runs its sync
code on a thread already started, requests at once each get their own, and a kept thread holds
no database connection between requests."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection

from onyx_site.asgi_handler import KeptThreadsASGIHandler
from tests.asgi_server import http_scope

pytestmark = pytest.mark.django_db(transaction=True)


async def _get(app: KeptThreadsASGIHandler, path: str) -> dict[str, Any]:
    """One GET straight through the ASGI interface; the response's start message."""
    sent: list[dict[str, Any]] = []
    body_read = False
    never = asyncio.get_running_loop().create_future()

    async def receive() -> dict[str, Any]:
        nonlocal body_read
        if body_read:
            return await never  # no disconnect: Django stops listening when it has answered
        body_read = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(http_scope("GET", path), receive, send)
    return sent[0]


def _threads(executors: list[ThreadPoolExecutor]) -> set[Any]:
    return {thread for executor in executors for thread in executor._threads}


async def test_requests_one_after_another_reuse_one_thread() -> None:
    app = KeptThreadsASGIHandler()
    assert (await _get(app, "/readyz"))["status"] == 200
    [executor] = app._idle
    [thread] = _threads(app._idle)
    for _ in range(3):
        assert (await _get(app, "/readyz"))["status"] == 200
    assert app._idle == [executor]
    assert _threads(app._idle) == {thread}
    assert thread.is_alive()


async def test_requests_at_once_each_get_a_thread_and_give_it_back() -> None:
    app = KeptThreadsASGIHandler()
    answers = await asyncio.gather(*(_get(app, "/readyz") for _ in range(3)))
    assert [answer["status"] for answer in answers] == [200, 200, 200]
    assert len(app._idle) == 3
    assert len(_threads(app._idle)) == 3
    await _get(app, "/no-such-page-é/")  # an error answer gives its thread back too
    assert len(app._idle) == 3


async def test_a_kept_thread_holds_no_database_connection_between_requests() -> None:
    app = KeptThreadsASGIHandler()
    assert (await _get(app, "/readyz"))["status"] == 200  # /readyz reads PostgreSQL
    [executor] = app._idle
    held = executor.submit(lambda: connection.connection).result(timeout=10)
    assert held is None
