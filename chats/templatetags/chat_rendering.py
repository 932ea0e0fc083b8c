from datetime import UTC, datetime

from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from chats.rendering import render_assistant_markdown

register = template.Library()


@register.filter
def assistant_markdown(text: str) -> SafeString:
    """Markdown rendered and sanitised by chats.rendering, so safe to insert as HTML."""
    return mark_safe(render_assistant_markdown(text))  # noqa: S308


@register.filter
def source_text(text: str) -> SafeString:
    """Text escaped for an HTML element's content, carriage returns included: a browser would
    turn a raw CR into a line feed and shift every code-point offset after it."""
    return mark_safe(escape(text).replace("\r", "&#13;"))  # noqa: S308


@register.simple_tag
def message_time(created_at: datetime) -> SafeString:
    """A message's <time>, as `created_at|date:"H:i"` (titled "Y-m-d H:i UTC") writes it, without
    the date filter's per-call format and time-zone lookups, a good part of each bubble's
    cost: every time here is UTC (settings.TIME_ZONE)."""
    utc = created_at.astimezone(UTC)
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        created_at.isoformat(),
        f"{utc:%Y-%m-%d %H:%M}",
        f"{utc:%H:%M}",
    )
