from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from chats.bubbles import render_bubbles
from chats.rendering import render_assistant_markdown
from onyx_site.templatetags.local_times import utc_time

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
    return utc_time(created_at, "time")


@register.simple_tag(takes_context=True)
def message_bubbles(context: template.Context, messages: Iterable[Any]) -> SafeString:
    """Each message as templates/chats/_message.html renders it (chats.bubbles keeps finished
    ones), with the page's CSRF token and refused edit."""
    return render_bubbles(
        messages, csrf_token=context.get("csrf_token"), edit_refused=context.get("edit_refused")
    )
