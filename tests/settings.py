"""Settings for the test suite: the app's own, with development defaults and a Redis DB of its own.

The suite flushes Redis between tests, so it uses database 15 of the private instance, and
`make run` on that same instance keeps its sessions.
"""

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

TEST_REDIS_DB = "15"


def _with_test_db(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = TEST_REDIS_DB
        # urlunsplit() would drop the empty host and leave "unix:/path", which redis-py refuses.
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{TEST_REDIS_DB}"))


os.environ.setdefault("DEBUG", "true")
os.environ["REDIS_URL"] = _with_test_db(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))

from onyx_site.settings import *  # noqa: E402, F403

# The built-in provider streams instantly unless a test asks for a visible stream.
ONYX_BUILTIN_WORD_DELAY = float(os.environ.get("ONYX_BUILTIN_WORD_DELAY", "0"))

# Uploaded bytes of the test suite stay apart from the development server's.
STORAGES["default"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(BASE_DIR / "var" / "test-media")},  # noqa: F405
}
