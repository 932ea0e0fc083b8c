from datetime import UTC, datetime
from typing import Literal

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


def utc_time(moment: datetime, shown: Literal["time", "datetime"]) -> SafeString:
    """A <time> written in UTC, "H:i" or "Y-m-d H:i" and titled with both, which the browser
    shows in the reader's own zone (static/js/local_time.js): one HTML for the page and for
    live events rendered elsewhere. Formatted by hand: the date filter's per-call format and
    time-zone lookups were a good part of a message bubble's cost."""
    full = f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"
    return format_html(
        '<time datetime="{}" data-local="{}" title="{} UTC">{}</time>',
        moment.isoformat(),
        shown,
        full,
        full[-5:] if shown == "time" else full,
    )


@register.simple_tag
def local_datetime(moment: datetime) -> SafeString:
    return utc_time(moment, "datetime")
