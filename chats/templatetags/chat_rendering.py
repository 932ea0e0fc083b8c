from django import template
from django.utils.safestring import SafeString, mark_safe

from chats.rendering import render_assistant_markdown

register = template.Library()


@register.filter
def assistant_markdown(text: str) -> SafeString:
    """Markdown rendered and sanitised by chats.rendering, so safe to insert as HTML."""
    return mark_safe(render_assistant_markdown(text))  # noqa: S308
