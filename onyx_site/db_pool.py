"""When a pooled PostgreSQL connection is worth a round trip to check before it is used.

psycopg's own check (what Django's CONN_HEALTH_CHECKS turns on for a pool) costs a round trip on
every checkout, so on every request. An idle connection has nothing to say: when its socket is
readable the server has closed it (a restart, a terminated backend), and one idle for long may
have been dropped on the way without a word. Only those are worth checking.
"""

import select
from time import monotonic

import psycopg

CHECK_AFTER_IDLE_SECONDS = 30.0


def _server_spoke(connection: psycopg.Connection) -> bool:
    readable, _, _ = select.select([connection.fileno()], [], [], 0)
    return bool(readable)


def in_doubt(connection: psycopg.Connection) -> bool:
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
