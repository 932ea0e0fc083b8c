"""Work a process would otherwise do on its first requests, done once at start-up instead:
compile the page templates, build the URL resolver, load the Markdown renderer. The first
visitor after a deploy or restart then waits no longer than the next one."""

import logging
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import get_resolver, reverse

from onyx_site import gc_tuning
from onyx_site.time_zones import known_zone_names

log = logging.getLogger(__name__)


def _page_templates() -> list[str]:
    root = Path(settings.BASE_DIR) / "templates"
    return sorted(str(path.relative_to(root)) for path in root.rglob("*.html"))


def warm_up() -> None:
    for name in _page_templates():
        try:
            get_template(name)
        except TemplateDoesNotExist:  # pragma: no cover - listed from the directory itself
            log.warning("Template %s vanished during warm-up", name)
    get_resolver().url_patterns  # noqa: B018 (compiles every pattern)
    reverse("chat-list")
    from chats.rendering import render_assistant_markdown

    render_assistant_markdown("*Warm* `up` with a [link](https://example.com)\n\n- one\n- two")
    known_zone_names()
    _open_connections()
    gc_tuning.settle_after_start_up()


def _open_connections() -> None:
    """Open the database pool and the Redis connection now; a store that is down at start-up
    is not fatal here (requests answer 503 until it is back)."""
    from django.db import DatabaseError, connection
    from redis.exceptions import RedisError

    from onyx_site.live_state import redis_client

    try:
        connection.ensure_connection()
    except DatabaseError:
        log.warning("PostgreSQL is not reachable yet")
    finally:
        connection.close()
    try:
        redis_client().ping()
    except RedisError:
        log.warning("Redis is not reachable yet")
