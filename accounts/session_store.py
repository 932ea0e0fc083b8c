"""Django's cache session engine, except that Redis being out of reach is an error (a 503 that
says so), not an empty session: Django's own treats any error as "no session", which signed
everyone out silently while Redis was down."""

from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.cache import SessionStore as CacheSessionStore
from django.core.cache import caches


class SessionStore(CacheSessionStore):
    def load(self) -> dict[str, Any]:
        session_data = caches[settings.SESSION_CACHE_ALIAS].get(self.cache_key)
        if session_data is not None:
            return dict(session_data)
        self._session_key = None
        return {}

    async def aload(self) -> dict[str, Any]:
        session_data = await caches[settings.SESSION_CACHE_ALIAS].aget(self.cache_key)
        if session_data is not None:
            return dict(session_data)
        self._session_key = None
        return {}
