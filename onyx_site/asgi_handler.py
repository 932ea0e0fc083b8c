"""Django's ASGI handler, with each request's sync code run on a thread kept for later requests.

Django runs a request in a ThreadSensitiveContext, for which asgiref starts a thread (a
one-worker executor) and, when the request ends, a second thread to join the first: two thread
starts per request, and the event loop waits for the first to start. Here a request borrows an
idle one-worker executor, whose thread is already running, and gives it back when done, which
asgiref supports (`ThreadSensitiveContext(executor=...)`; Django's own context inside it then
changes nothing). One request at a time per executor, as before; threads are reused the way a
WSGI server reuses its threads, and Django closes or returns the database connection at the end
of each request as it does there.

Its middleware chain is built as a WSGI handler builds it, sync throughout, the view called in
the same thread: a request goes to that thread three times (the chain with its view, and
Django's request_started signal and closing of the response) instead of seven, and never back.
Django's async chain ran the sync-only middleware in the thread, came back to the event loop
for the async-capable ones inside it, then went to the thread again for each view-middleware
method (CSRF's, the login check's), for the view and for rendering its response, which cost
/api/auth/me/ about 30 % of its requests a second. Async-only middleware at the top of the list
(ServeStatic) stays async, on the event loop; an async view would still run there.
"""

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from asgiref.sync import AsyncToSync, ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.db import connections

# Idle executors kept for the next requests; more than this many at once (requests in flight)
# get a thread of their own that ends with them.
KEPT_IDLE_THREADS = 32


class KeptThreadsASGIHandler(ASGIHandler):
    _middleware_chain: Any  # set by load_middleware(); django-stubs leaves it out

    def __init__(self) -> None:
        super().__init__()
        self._idle: list[ThreadPoolExecutor] = []

    def load_middleware(self, is_async: bool = False) -> None:
        # Django asks for its async chain; it gets the sync one, entered once per request. Built
        # for a sync caller, an async top (the async-only middleware) was wrapped for one, which
        # ASGI is not; a sync top is run in the request's thread.
        super().load_middleware(is_async=False)
        chain = self._middleware_chain
        self._middleware_chain = (
            chain.awaitable
            if isinstance(chain, AsyncToSync)
            else sync_to_async(chain, thread_sensitive=True)
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        loop = asyncio.get_running_loop()
        executor = (
            self._idle.pop()
            if self._idle
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
        )
        try:
            async with ThreadSensitiveContext(executor=executor):
                await super().__call__(scope, receive, send)
        except BaseException:
            # Cancelled (a server shutting down, a timeout) or failed: the thread may still be
            # running this request's sync code, which cannot be stopped, and Django may not have
            # closed its database connection. It is lent again only after both are done.
            self._give_back_when_idle(executor, loop)
            raise
        # A request that ended as usual awaited all of its sync code, its connection's close too.
        self._give_back(executor)

    def _give_back(self, executor: ThreadPoolExecutor) -> None:
        if len(self._idle) < KEPT_IDLE_THREADS:
            self._idle.append(executor)
        else:
            executor.shutdown(wait=False)

    def _give_back_when_idle(
        self, executor: ThreadPoolExecutor, loop: asyncio.AbstractEventLoop
    ) -> None:
        def closed(_: Future[None]) -> None:
            try:
                loop.call_soon_threadsafe(self._give_back, executor)
            except RuntimeError:  # the loop is closed: the process is stopping
                executor.shutdown(wait=False)

        executor.submit(connections.close_all).add_done_callback(closed)
