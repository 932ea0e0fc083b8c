"""Settings for the test suite: the app's own, with development defaults and a Redis DB of its own.

The suite flushes Redis between tests, so it uses database 15 of the private instance, and
`make run` on that same instance keeps its sessions.
"""

import os

from tests.redis_db import with_redis_db

TEST_REDIS_DB = "15"

os.environ.setdefault("DEBUG", "true")
os.environ["REDIS_URL"] = with_redis_db(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), TEST_REDIS_DB
)

from onyx_site.settings import *  # noqa: E402, F403

# The built-in provider streams instantly unless a test asks for a visible stream.
ONYX_BUILTIN_WORD_DELAY = float(os.environ.get("ONYX_BUILTIN_WORD_DELAY", "0"))

# Uploaded bytes of the test suite stay apart from the development server's.
STORAGES["default"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": str(BASE_DIR / "var" / "test-media")},  # noqa: F405
}
