from datetime import tzinfo
from typing import Any

from django import template
from django.http import HttpRequest
from django.template.loader import get_template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from chats import selectors, sidebar_items
from onyx_site.time_zones import reader_time_zone

register = template.Library()


def chats_to_list(request: HttpRequest, *, archived: bool = False) -> int:
    """How many chats the list of chats archived or not shows: `?shown=`, set by that list's
    "Show more" link, within what the sidebar allows; SIDEBAR_CHATS when absent or not a
    number, or when the link was the other list's (the archived page's own list)."""
    asked = request.GET.get("shown", "")
    if (request.GET.get("archived") == "1") != archived:
        return selectors.SIDEBAR_CHATS
    if not (asked.isascii() and asked.isdigit()):
        return selectors.SIDEBAR_CHATS
    asked = asked.lstrip("0") or "0"
    if len(asked) > len(str(selectors.SIDEBAR_MAX_CHATS)):  # int() refuses thousands of digits
        return selectors.SIDEBAR_MAX_CHATS
    return min(max(int(asked), selectors.SIDEBAR_CHATS), selectors.SIDEBAR_MAX_CHATS)


def chat_groups_context(
    user: User,
    *,
    zone: tzinfo,
    archived: bool = False,
    limit: int | None = None,
    including: int | None = None,
) -> dict[str, Any]:
    """What templates/chats/_chat_groups.html needs, for the sidebar of every page and for the
    fragment the page fetches when a chat changes; days are the reader's, in `zone`."""
    listed = selectors.chat_groups(
        user, now=timezone.now(), zone=zone, archived=archived, limit=limit, including=including
    )
    next_shown = min(listed.listed + selectors.SIDEBAR_CHATS, selectors.SIDEBAR_MAX_CHATS)
    return {
        "groups": listed.groups,
        "more": listed.more,
        "shown": listed.listed,
        "next_shown": next_shown if listed.more and next_shown > listed.listed else None,
        "archived": archived,
    }


def render_chat_groups(
    listed: dict[str, Any], *, request: HttpRequest, csrf_token: Any, active: int | None = None
) -> SafeString:
    """templates/chats/_chat_groups.html for what chat_groups_context() read."""
    context = {**listed, "active": active, "csrf_token": csrf_token, "request": request}
    html = get_template("chats/_chat_groups.html").render(context)
    return mark_safe(html)  # noqa: S308  (the template's escaped output)


@register.simple_tag(takes_context=True)
def chat_sidebar(context: template.Context, *, active: int | None = None) -> SafeString:
    # The chats page lists the same chats in its own list, and has rendered them already.
    rendered: SafeString | None = context.get("sidebar_html")
    if rendered is not None:
        return rendered
    request = context["request"]
    active = active if isinstance(active, int) else None  # "" on pages of no chat
    listed = chat_groups_context(
        request.user, zone=reader_time_zone(request), limit=chats_to_list(request), including=active
    )
    return render_chat_groups(
        listed, request=request, csrf_token=context.get("csrf_token"), active=active
    )


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
