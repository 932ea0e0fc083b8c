"""When a pooled PostgreSQL connection is worth a round trip to check before it is used.

psycopg's own check (what Django's CONN_HEALTH_CHECKS turns on for a pool) costs a round trip on
every checkout, so on every request. An idle connection has nothing to say: when its socket is
readable the server has closed it (a restart, a terminated backend), and one idle for long may
have been dropped on the way without a word. Only those are worth checking.
"""

import select
from time import monotonic
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool

CHECK_AFTER_IDLE_SECONDS = 30.0


def _server_spoke(connection: psycopg.BaseConnection[Any]) -> bool:
    # poll(), not select(): a web process holding thousands of sockets has descriptors past
    # select()'s limit of 1,024.
    poller = select.poll()
    poller.register(connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


def in_doubt(connection: psycopg.BaseConnection[Any]) -> bool:
    """Whether a connection just taken from the pool may be unusable."""
    now = monotonic()
    taken_before = getattr(connection, "_onyx_taken_at", None)
    connection._onyx_taken_at = now  # type: ignore[attr-defined]
    return (
        taken_before is None
        or now - taken_before >= CHECK_AFTER_IDLE_SECONDS
        or connection.broken
        or _server_spoke(connection)
    )


async def check_async_when_in_doubt(connection: psycopg.AsyncConnection[Any]) -> None:
    """An async pool's `check` (the task engine's own pool): psycopg's, only when in doubt."""
    if in_doubt(connection):
        await AsyncConnectionPool.check_connection(connection)


def async_pool_checking_when_in_doubt(**options: Any) -> AsyncConnectionPool[Any]:
    """An AsyncConnectionPool as procrastinate builds one, with the check above in place of
    psycopg's round trip on every checkout (two per job: taking it and finishing it)."""
    return AsyncConnectionPool(**{**options, "check": check_async_when_in_doubt})
