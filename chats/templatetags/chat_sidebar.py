from typing import Any

from django import template
from django.utils import timezone

from accounts.models import User
from chats import selectors

register = template.Library()


def chat_groups_context(user: User, *, archived: bool = False) -> dict[str, Any]:
    """What templates/chats/_chat_groups.html needs, for the sidebar of every page and for the
    fragment the page fetches when a chat changes."""
    today = timezone.now().date()
    return {
        "groups": selectors.chat_groups(user, today=today, archived=archived),
        "archived": archived,
    }


@register.inclusion_tag("chats/_chat_groups.html", takes_context=True)
def chat_sidebar(context: template.Context, *, active: int | None = None) -> dict[str, Any]:
    user = context["request"].user
    return {
        **chat_groups_context(user),
        "active": active,
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }
