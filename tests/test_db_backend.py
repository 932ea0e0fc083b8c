"""The project's PostgreSQL backend (onyx_site/postgresql): Django's, with pooled connections
checked only when they may have gone bad, and timestamps read by Python's C parser."""

import os
import resource
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import DataError, connection
from procrastinate.contrib.django.utils import connector_params
from psycopg_pool import AsyncConnectionPool, ConnectionPool

from onyx_site import db_pool
from tests.waiting import wait_until


@pytest.mark.django_db
@pytest.mark.parametrize(
    "stored",
    [
        datetime(2026, 11, 27, 5, 10, 52, tzinfo=UTC),  # no fraction: PostgreSQL writes none
        datetime(2026, 11, 27, 5, 10, 52, 500000, tzinfo=UTC),  # written as ".5"
        datetime(2026, 11, 27, 5, 10, 52, 123456, tzinfo=UTC),
        datetime(1, 1, 1, 0, 0, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    ],
)
def test_timestamps_read_back_as_they_were_stored(stored: datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [stored])
        [(read,)] = cursor.fetchall()
    assert read == stored
    assert read.utcoffset() == timedelta(0)
    loader = connection.connection.adapters.get_loader(
        psycopg.postgres.types["timestamptz"].oid, psycopg.pq.Format.TEXT
    )
    assert loader.__name__ == "FastTzLoader"


@pytest.mark.django_db
def test_a_timestamp_the_fast_parser_cannot_read_is_refused_as_django_refuses_it() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'infinity'::timestamptz")
        with pytest.raises(DataError, match="infinity"):
            cursor.fetchall()


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _checkouts() -> set[int]:
    """Take connections from the pool one after the other, as requests do, until each pooled
    connection has been used; their server processes."""
    pids = set()
    for _ in range(settings.DATABASE_POOL_MAX + 2):
        pids.add(_backend_pid())
        connection.close()  # back to the pool, as at the end of a request
    return pids


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every round trip the pool's check makes."""
    made: list[object] = []
    check = ConnectionPool.check_connection

    def counted(conn: Any) -> None:
        made.append(conn)
        check(conn)

    monkeypatch.setattr(ConnectionPool, "check_connection", staticmethod(counted))
    return made


@pytest.mark.django_db(transaction=True)
def test_a_connection_used_a_moment_ago_is_not_checked_again(checks: list[object]) -> None:
    pooled = _checkouts()
    checks.clear()
    assert _checkouts() == pooled
    assert checks == []


@pytest.mark.django_db(transaction=True)
def test_connections_the_server_ended_are_replaced_before_a_query_fails(
    checks: list[object],
) -> None:
    pooled = _checkouts()
    params = {k: v for k, v in connection.get_connection_params().items() if k != "context"}
    with psycopg.connect(**{**params, "autocommit": True}) as other:
        for pid in pooled:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])

        def ended() -> bool:
            alive = "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)"
            row = other.execute(alive, [list(pooled)]).fetchone()
            return row is not None and row[0] == 0

        wait_until(ended, what="the server to end those connections")
    checks.clear()
    assert _checkouts().isdisjoint(pooled)  # and no query failed on a dead connection
    assert checks  # checked because their sockets had the server's goodbye to read


@pytest.mark.django_db(transaction=True)
def test_a_connection_idle_for_long_is_checked(
    checks: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    pooled = _checkouts()
    checks.clear()
    monkeypatch.setattr(db_pool, "CHECK_AFTER_IDLE_SECONDS", 0.0)
    assert _checkouts() == pooled
    assert len(checks) == settings.DATABASE_POOL_MAX + 2


@pytest.mark.django_db(transaction=True)
async def test_the_task_engines_pool_checks_only_in_doubt_and_replaces_ended_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[object] = []
    check = AsyncConnectionPool.check_connection

    async def counted(conn: Any) -> None:
        made.append(conn)
        await check(conn)

    monkeypatch.setattr(AsyncConnectionPool, "check_connection", staticmethod(counted))
    params = connector_params("default")  # as the worker's engine connects
    pool = db_pool.async_pool_checking_when_in_doubt(
        kwargs=params, min_size=2, max_size=2, open=False
    )
    await pool.open(wait=True)
    try:

        async def checkouts() -> set[int]:
            pids = set()
            for _ in range(4):
                async with pool.connection() as conn:
                    pids.add(conn.info.backend_pid)
            return pids

        pooled = await checkouts()  # each checked once, when new
        made.clear()
        assert await checkouts() == pooled
        assert made == []
        async with await psycopg.AsyncConnection.connect(**params) as other:
            for pid in pooled:
                await other.execute("SELECT pg_terminate_backend(%s)", [pid])
        still = "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)"

        def ended() -> bool:
            with psycopg.connect(**params) as probe:
                row = probe.execute(still, [list(pooled)]).fetchone()
                return row is not None and row[0] == 0

        wait_until(ended, what="the server to end those connections")
        assert (await checkouts()).isdisjoint(pooled)
        assert made
    finally:
        await pool.close()


@pytest.mark.django_db
def test_a_connection_past_descriptor_1024_is_checked_like_any_other() -> None:
    # A web process holding thousands of sockets opens its database connections there.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(2048, hard), hard))
    spare = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        params = {k: v for k, v in connection.get_connection_params().items() if k != "context"}
        with psycopg.connect(**params) as conn:
            assert conn.fileno() > 1024
            assert db_pool.in_doubt(conn)  # new to the pool: checked once
            assert not db_pool.in_doubt(conn)  # used a moment ago, nothing said since
    finally:
        for descriptor in spare:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
