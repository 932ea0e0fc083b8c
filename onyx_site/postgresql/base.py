"""Django's PostgreSQL backend, with three costs of every request taken out (DATABASES' ENGINE).

- A pooled connection is checked with a round trip only when it may have gone bad
  (onyx_site/db_pool.py), not on every checkout as CONN_HEALTH_CHECKS would. A bad one is given
  back (the pool drops it), the pool checks its other idle connections, and another is taken.
- `timestamptz` values are read by Python's C date parser (onyx_site/db_times.py).
- Hand-written statements (`prepared_cursor()`, what OwnedQuerySet.rows_for_user() runs) are
  prepared once per connection and planned once: PostgreSQL spent more of its time parsing and
  planning the chat list (0.23 ms of 0.33) than running it. Django's own cursors bind on the client
  and never prepare, so the ORM's queries are as before.
"""

from typing import Any

import psycopg
from django.db.backends.postgresql import base, operations
from django.db.backends.utils import CursorWrapper
from django.utils.asyncio import async_unsafe
from psycopg_pool import ConnectionPool

from onyx_site.db_pool import in_doubt
from onyx_site.db_times import use_fast_timestamps

# Django's cursor for OPTIONS' server_side_binding (defined when psycopg 3 is installed).
_ServerBindingCursor: type[psycopg.Cursor[Any]] = base.ServerBindingCursor  # type: ignore[attr-defined]


class _PreparingCursor(_ServerBindingCursor):  # type: ignore[valid-type,misc]
    """Django's server-binding cursor, whose statements are prepared at their first use on a
    connection. Preparing is on for the connection only while this cursor runs a statement, so
    psycopg neither counts nor keeps the text of the ORM's statements (a batch of file passages
    is a megabyte of SQL)."""

    def execute(self, query: Any, params: Any = None, **options: Any) -> Any:
        connection: psycopg.Connection[Any] = self.connection
        connection.prepare_threshold = 0
        try:
            return super().execute(query, params, **options)
        except psycopg.errors.FeatureNotSupported:
            # "cached plan must not change result type": a migration run while this process
            # was up changed a column this statement returns. Outside a transaction, forget
            # the connection's prepared statements (psycopg does when it sees DEALLOCATE ALL)
            # and run it again; in one, the transaction has failed, and its rollback makes
            # psycopg forget them before the next request.
            if connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                raise
            connection.execute("DEALLOCATE ALL", prepare=False)
            return super().execute(query, params, **options)
        finally:
            connection.prepare_threshold = None


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str | None:  # type: ignore[override]
        """As Django writes it for its own cursors, for a prepared one too (which keeps no
        text of its own): query logging, and the failures of query-count tests, show it."""
        if isinstance(cursor, _ServerBindingCursor):
            try:
                return self.compose_sql(sql, params)
            except psycopg.errors.DataError:
                return None  # as Django's own does
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_new_connection(self, conn_params: dict[str, Any]) -> psycopg.Connection:
        connection: psycopg.Connection = super().get_new_connection(conn_params)
        pool: ConnectionPool | None = self.pool  # type: ignore[attr-defined]
        if pool is not None and in_doubt(connection):
            try:
                ConnectionPool.check_connection(connection)
            except psycopg.Error:
                pool.putconn(connection)
                pool.check()
                connection = super().get_new_connection(conn_params)
        use_fast_timestamps(connection, self.timezone)
        if self._prepares:
            try:
                _use_generic_plans(connection)
            except psycopg.Error:
                if pool is not None:
                    pool.putconn(connection)  # not lost to the pool: it checks it, or drops it
                raise
        return connection

    @property
    def _prepares(self) -> bool:
        # DATABASES' OPTIONS "prepare_threshold" leaves preparing to psycopg (None: never), for
        # a pooler that cannot keep prepared statements (docs/DEPLOY.md).
        return "prepare_threshold" not in self.settings_dict["OPTIONS"]

    @async_unsafe
    def prepared_cursor(self, *, binary: bool = False) -> CursorWrapper:
        """A cursor whose statements are bound on the server and prepared (on this connection,
        at their first use), wrapped as Django wraps its own, so query logging and counting see
        them. With `binary`, results come in PostgreSQL's binary format: a `bytea` as it is
        stored, where the text format writes it in hex for libpq to decode byte by byte."""
        self.ensure_connection()
        self.validate_thread_sharing()
        kind = _PreparingCursor if self._prepares else _ServerBindingCursor
        with self.wrap_database_errors:
            cursor: Any = kind(self.connection)  # django-stubs: a DB-API cursor
        if binary:
            cursor.format = psycopg.pq.Format.BINARY
        return self.make_debug_cursor(cursor) if self.queries_logged else self.make_cursor(cursor)


def _use_generic_plans(connection: psycopg.Connection) -> None:
    """Once per connection (a pooled one comes back here at every checkout): prepared_cursor()'s
    statements get PostgreSQL's generic plan at once instead of being planned anew for each value
    until PostgreSQL judges that plan good enough (for the chat list, never: one user with
    thousands of chats skews its estimate). Each such statement is written for the plan it
    gets, and so are the PL/pgSQL functions Django's connections call (chats_shown_branch, the
    task engine's deferring). The task engine's own connections (connector_params()) are left
    as they were."""
    if getattr(connection, "_onyx_generic_plans", False):
        return
    connection.execute("SET plan_cache_mode = force_generic_plan")
    if not connection.autocommit:  # a connection of no pool: Django has not set it up yet
        connection.commit()
    connection._onyx_generic_plans = True  # type: ignore[attr-defined]
