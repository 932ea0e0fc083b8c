"""Django's Redis cache with one connection pool per process.

Django keeps its cache backends per async context, so under ASGI each request and each socket
built its own RedisCache, with a new connection pool and a new Redis connection: 100 page views
opened 100 connections, and every open socket signed in by cookie kept one. The client (and its
pools, which are thread-safe and reset themselves after a fork) is shared by every instance with
the same servers and options.
"""

import threading
from functools import cached_property
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_clients: dict[tuple[Any, ...], RedisCacheClient] = {}
_clients_lock = threading.Lock()


class SharedRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._shared_as = (type(self), server, repr(sorted(params.get("OPTIONS", {}).items())))

    @cached_property
    def _cache(self) -> RedisCacheClient:
        parent: Any = super()  # Django's own _cache builds the client; its stubs don't say so
        with _clients_lock:
            client = _clients.get(self._shared_as)
            if client is None:
                client = _clients[self._shared_as] = parent._cache
        return client
