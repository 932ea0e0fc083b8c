"""Ending other connections to a scratch database, so PostgreSQL lets it be dropped."""

from django.db import connection


def end_other_connections() -> None:
    """Close ours, then end every other session on the current database (threads' leftovers)."""
    name = connection.settings_dict["NAME"]
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
