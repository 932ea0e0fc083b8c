from datetime import tzinfo
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from accounts.models import User
from chats import selectors, sidebar_items
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


@register.simple_tag(takes_context=True)
def chat_items(
    context: template.Context, chats: list[selectors.SidebarChat], *, active: int | None
) -> SafeString:
    request = context.get("request")
    return sidebar_items.render_chat_items(
        chats,
        active=active,
        csrf_token=context.get("csrf_token"),
        path=request.get_full_path() if request is not None else "",
    )
