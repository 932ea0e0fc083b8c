"""The reader's time zone, as their browser names it in a cookie (static/js/local_time.js).

Times in pages are written in UTC and shown in the reader's zone by the browser, so the same
HTML serves every tab and every live event. Only what the server itself decides by the reader's
calendar (which chats are "Today") needs the zone here."""

from datetime import UTC, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django.http import HttpRequest

TIME_ZONE_COOKIE = "tz"


@cache
def known_zone_names() -> frozenset[str]:
    """Read from the zoneinfo files once, at start-up (onyx_site/warmup.py): ~12 ms."""
    return frozenset(available_timezones())


def reader_time_zone(request: HttpRequest) -> tzinfo:
    """The zone the browser reported, or UTC when it reported none or one this server lacks."""
    name = request.COOKIES.get(TIME_ZONE_COOKIE, "")
    return ZoneInfo(name) if name and name in known_zone_names() else UTC
