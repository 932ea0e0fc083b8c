from datetime import tzinfo
from typing import Any

from django import template
from django.utils import timezone

from accounts.models import User
from chats import selectors
from onyx_site.time_zones import reader_time_zone

register = template.Library()


def chat_groups_context(user: User, *, zone: tzinfo, archived: bool = False) -> dict[str, Any]:
    """What templates/chats/_chat_groups.html needs, for the sidebar of every page and for the
    fragment the page fetches when a chat changes; days are the reader's, in `zone`."""
    listed = selectors.chat_groups(user, now=timezone.now(), zone=zone, archived=archived)
    return {
        "groups": listed.groups,
        "more": listed.more,
        "shown": selectors.SIDEBAR_CHATS,
        "archived": archived,
    }


@register.inclusion_tag("chats/_chat_groups.html", takes_context=True)
def chat_sidebar(context: template.Context, *, active: int | None = None) -> dict[str, Any]:
    request = context["request"]
    return {
        **chat_groups_context(request.user, zone=reader_time_zone(request)),
        "active": active,
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }
