"""One background event loop per process for work no request owns: replies, file processing."""

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection

log = logging.getLogger(__name__)


class BackgroundLoop:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._running: set[Future[Any]] = set()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="onyx-background", daemon=True
                )
                thread.start()
                self._loop = loop
            return self._loop

    def submit(self, work: Coroutine[Any, Any, Any]) -> Future[Any]:
        future = asyncio.run_coroutine_threadsafe(work, self._ensure_loop())
        self._running.add(future)
        future.add_done_callback(self._running.discard)
        future.add_done_callback(_log_crash)
        return future

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Block until every submitted job has finished (tests, graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while self._running and time.monotonic() < deadline:
            time.sleep(0.02)
        if self._running:
            raise TimeoutError(
                f"{len(self._running)} background jobs still running after {timeout} s"
            )


def _log_crash(future: Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("Background job crashed", exc_info=future.exception())


loop = BackgroundLoop()


_P = ParamSpec("_P")
_T = TypeVar("_T")


def in_db_thread(func: Callable[_P, _T]) -> Callable[_P, Awaitable[_T]]:
    """Run ORM work from the background loop in a worker thread, closing its connection after:
    these threads outlive requests, and an idle connection left open would pin the database."""

    def run_and_close(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            connection.close()

    return sync_to_async(run_and_close, thread_sensitive=False)
