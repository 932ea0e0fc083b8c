"""ORM work from async code (the workers): in a thread, its connection handed back after.

Django's connection pool (settings.DATABASES OPTIONS "pool") keeps the connections open, so a
hand-back costs microseconds and the number of PostgreSQL connections stays bounded by the pool,
however many threads or concurrent jobs a process has.
"""

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection

_P = ParamSpec("_P")
_T = TypeVar("_T")


def in_db_thread(func: Callable[_P, _T]) -> Callable[_P, Awaitable[_T]]:
    def run_and_hand_back(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            connection.close()

    return sync_to_async(run_and_hand_back, thread_sensitive=False)
