"""Shared set-up for the benchmarks: development settings on a scratch database."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django
    from django.conf import settings

    django.setup()
    # A database of the benchmarks' own (connections are pooled, as in production).
    settings.DATABASES["default"]["TEST"]["NAME"] = "bench_onyx"
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from django.db import connection

    # A throwaway test database, exactly as the test suite makes one.
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    from onyx_site.live_state import redis_client

    redis_client().flushdb()


def teardown() -> None:
    from django.db import connection

    from tests.db_connections import end_other_connections

    name = connection.settings_dict["NAME"]
    end_other_connections()
    connection.creation.destroy_test_db(name, verbosity=0)
