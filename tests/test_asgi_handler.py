"""The ASGI handler keeps request threads (onyx_site/asgi_handler.py): a request runs its sync
code on a thread already started, its middleware and view in one trip there, requests at once each
get their own, a kept thread holds no database connection between requests, and a request
cancelled while its sync code still runs does not lend that busy thread to the next one."""

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from asgiref.sync import AsyncToSync, SyncToAsync
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from onyx_site import health
from onyx_site.asgi_handler import KeptThreadsASGIHandler
from tests.asgi_server import http_scope
from tests.waiting import await_until

pytestmark = pytest.mark.django_db(transaction=True)

view_started = threading.Event()
release_view = threading.Event()


@login_not_required
def blocking_view(request: HttpRequest) -> HttpResponse:
    connection.ensure_connection()  # holds a pooled connection while it blocks
    view_started.set()
    release_view.wait(timeout=30)
    return HttpResponse("done")


urlpatterns = [path("blocking/", blocking_view)]  # for test_a_cancelled_request_…


@pytest.fixture
async def app() -> AsyncIterator[KeptThreadsASGIHandler]:
    handler = KeptThreadsASGIHandler()
    yield handler
    for executor in handler._idle:
        executor.shutdown(wait=False)


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


def _threads(executors: list[ThreadPoolExecutor]) -> set[threading.Thread]:
    return {thread for executor in executors for thread in executor._threads}


async def test_requests_one_after_another_reuse_one_thread(app: KeptThreadsASGIHandler) -> None:
    assert (await _get(app, "/readyz"))["status"] == 200
    [executor] = app._idle
    [thread] = _threads(app._idle)
    for _ in range(3):
        assert (await _get(app, "/readyz"))["status"] == 200
    assert app._idle == [executor]
    assert _threads(app._idle) == {thread}
    assert thread.is_alive()


async def test_a_request_runs_its_middleware_and_view_in_one_trip_to_its_thread(
    app: KeptThreadsASGIHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    to_thread: list[str] = []
    to_loop: list[str] = []
    going, coming = SyncToAsync.__call__, AsyncToSync.__call__

    async def counting_going(self: SyncToAsync[Any, Any], *args: Any, **kwargs: Any) -> Any:
        to_thread.append(getattr(self.func, "__qualname__", repr(self.func)))
        return await going(self, *args, **kwargs)

    def counting_coming(self: AsyncToSync[Any, Any], *args: Any, **kwargs: Any) -> Any:
        to_loop.append(getattr(self.awaitable, "__qualname__", repr(self.awaitable)))
        return coming(self, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "__call__", counting_going)
    monkeypatch.setattr(AsyncToSync, "__call__", counting_coming)
    # Through every middleware, CSRF's and the login check's view hooks, a DRF view and the
    # rendering of its response.
    assert (await _get(app, "/api/auth/me/"))["status"] == 401
    # The middleware chain with the view, and Django's own three: the request_started signal,
    # logging an error answer, and closing the response (request_finished). Django's async
    # chain took eight.
    assert len(to_thread) == 4, to_thread
    assert to_loop == []


async def test_requests_at_once_each_get_a_thread_and_give_it_back(
    app: KeptThreadsASGIHandler,
) -> None:
    answers = await asyncio.gather(*(_get(app, "/readyz") for _ in range(3)))
    assert [answer["status"] for answer in answers] == [200, 200, 200]
    assert len(app._idle) == 3
    assert len(_threads(app._idle)) == 3
    await _get(app, "/no-such-page-é/")  # an error answer gives its thread back too
    assert len(app._idle) == 3


async def test_a_kept_thread_holds_no_database_connection_between_requests(
    app: KeptThreadsASGIHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[threading.Thread, bool]] = []
    check = health._postgresql_ok

    def checking_postgresql() -> bool:
        ok = check()
        seen.append((threading.current_thread(), connection.connection is not None))
        return ok

    monkeypatch.setattr(health, "_postgresql_ok", checking_postgresql)
    assert (await _get(app, "/readyz"))["status"] == 200
    [executor] = app._idle
    assert seen == [(*_threads(app._idle), True)]  # the request read PostgreSQL on that thread
    held = executor.submit(lambda: connection.connection).result(timeout=10)
    assert held is None


@pytest.mark.urls(__name__)
async def test_a_cancelled_request_does_not_lend_its_busy_thread(
    app: KeptThreadsASGIHandler,
) -> None:
    view_started.clear()
    release_view.clear()
    request = asyncio.create_task(_get(app, "/blocking/"))
    try:
        await await_until(view_started.is_set, what="the view to start")
        request.cancel()  # as a server's shutdown timeout does; the view's thread keeps running
        with contextlib.suppress(asyncio.CancelledError):
            await request
        assert app._idle == []  # not lent while the view still runs
    finally:
        release_view.set()
    await await_until(lambda: len(app._idle) == 1, what="the thread to be given back")
    [executor] = app._idle
    [thread] = _threads(app._idle)
    # Django never ended that request, so never closed its connection: the hand-back did.
    assert executor.submit(lambda: connection.connection).result(timeout=10) is None
    assert (await _get(app, "/blocking/"))["status"] == 200
    assert _threads(app._idle) == {thread}
