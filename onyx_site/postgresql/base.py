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
from psycopg_pool import ConnectionPool

from onyx_site.db_pool import in_doubt
from onyx_site.db_times import use_fast_timestamps

# Django's cursor for OPTIONS' server_side_binding (defined when psycopg 3 is installed).
_ServerBindingCursor: type[psycopg.Cursor[Any]] = base.ServerBindingCursor  # type: ignore[attr-defined]


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor: Any, sql: str, params: Any) -> str:
        """As Django writes it for its own cursors, for a prepared one too (which keeps no
        text of its own): query logging, and the failures of query-count tests, show it."""
        if isinstance(cursor, _ServerBindingCursor):
            return self.compose_sql(sql, params)
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
        if "prepare_threshold" not in self.settings_dict["OPTIONS"]:
            _prepare_statements(connection)
        return connection

    def prepared_cursor(self) -> CursorWrapper:
        """A cursor whose statements are bound on the server and prepared (on this connection,
        at their first use), wrapped as Django wraps its own, so query logging and counting see
        them."""
        self.ensure_connection()
        self.validate_thread_sharing()
        with self.wrap_database_errors:
            cursor: Any = _ServerBindingCursor(self.connection)  # django-stubs: a DB-API cursor
        return self.make_debug_cursor(cursor) if self.queries_logged else self.make_cursor(cursor)


def _prepare_statements(connection: psycopg.Connection) -> None:
    """Once per connection (a pooled one comes back here at every checkout): prepared_cursor()'s
    statements are prepared at their first use, and get PostgreSQL's generic plan at once instead
    of being planned anew for each value until PostgreSQL judges that plan good enough (for the
    chat list, never: one user with thousands of chats skews its estimate). Each such statement
    is written for the plan it gets, and so are the PL/pgSQL functions Django's connections call
    (chats_shown_branch, the task engine's deferring). The task engine's own connections
    (connector_params()) are left as they were.

    Setting DATABASES' OPTIONS "prepare_threshold" leaves it to psycopg; None turns preparing off,
    for a pooler in transaction mode that cannot keep prepared statements."""
    if getattr(connection, "_onyx_prepares", False):
        return
    connection.execute("SET plan_cache_mode = force_generic_plan")  # before preparing is on
    if not connection.autocommit:  # a connection of no pool: Django has not set it up yet
        connection.commit()
    connection.prepare_threshold = 0
    connection._onyx_prepares = True  # type: ignore[attr-defined]
