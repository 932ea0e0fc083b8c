"""Django's PostgreSQL backend, with two costs of every request taken out (DATABASES' ENGINE).

- A pooled connection is checked with a round trip only when it may have gone bad
  (onyx_site/db_pool.py), not on every checkout as CONN_HEALTH_CHECKS would. A bad one is given
  back (the pool drops it), the pool checks its other idle connections, and another is taken.
- `timestamptz` values are read by Python's C date parser (onyx_site/db_times.py).
"""

from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg_pool import ConnectionPool

from onyx_site.db_pool import in_doubt
from onyx_site.db_times import use_fast_timestamps


class DatabaseWrapper(base.DatabaseWrapper):
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
        return connection
