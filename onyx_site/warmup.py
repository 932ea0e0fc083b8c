"""Work a process would otherwise do on its first requests, done once at start-up instead:
compile the page templates and Django's form templates, build the URL resolver and compile
each URL's reversing pattern, import the context processors, the locale's formats and the
message and session classes, load the Markdown renderer. The first visitor after a deploy or
restart then waits no longer than the next one."""

import contextlib
import logging
from pathlib import Path

import django
from django.conf import settings
from django.forms.renderers import get_default_renderer
from django.template import Engine, TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch, get_resolver, reverse
from django.utils import formats
from django.utils.module_loading import import_string

from onyx_site import gc_tuning
from onyx_site.time_zones import known_zone_names

log = logging.getLogger(__name__)


def _templates_in(root: Path, folder: str = ".") -> list[str]:
    """The names of the templates in `folder` of a template directory `root`."""
    return sorted(str(path.relative_to(root)) for path in (root / folder).rglob("*.html"))


def _reverse_every_url() -> None:
    """Django compiles a URL's reversing pattern the first time reverse() builds it."""
    resolver = get_resolver()
    for name in resolver.reverse_dict:
        if not isinstance(name, str):
            continue
        for possibility, *_ in resolver.reverse_dict.getlist(name):
            for _, parameters in possibility:
                # A parameter that is not a number: built when first used.
                with contextlib.suppress(NoReverseMatch):
                    reverse(name, kwargs=dict.fromkeys(parameters, "1"))


def warm_up() -> None:
    for name in _templates_in(Path(settings.BASE_DIR) / "templates"):
        try:
            get_template(name)
        except TemplateDoesNotExist:  # pragma: no cover - listed from the directory itself
            log.warning("Template %s vanished during warm-up", name)
    widgets = get_default_renderer()
    for name in _templates_in(Path(django.__file__).parent / "forms/templates", "django/forms"):
        widgets.get_template(name)
    get_resolver().url_patterns  # noqa: B018 (compiles every pattern)
    _reverse_every_url()
    Engine.get_default().template_context_processors  # noqa: B018 (imports them)
    formats.get_format("DATE_FORMAT")  # imports the locale's formats
    import_string(settings.MESSAGE_STORAGE)
    import_string(settings.SESSION_SERIALIZER)
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
