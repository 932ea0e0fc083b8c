"""The chats of the sidebar (templates/chats/_chat_item.html), each rendered once per process.

A page shows 50 of them at first and up to 500 (chats/selectors.py), and rendering a chat's
link and menu (five URLs, two forms) took 40 ms of each page for a user with 200. A chat's row
changes only with what the template reads from it, so its HTML is kept under a key made of
exactly those values and is never served stale. The per-request parts, the forms' CSRF token
and the page to come back to, are put in on the way out (onyx_site/kept_html.py).
"""

import secrets
from collections.abc import Iterable
from typing import Any

from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from chats.models import ChatSession
from chats.selectors import SidebarChat
from onyx_site.kept_html import PLACEHOLDER_TOKEN, KeptHtml, with_csrf_token

# About 1.5 KB a row: a few thousand rows, the sidebars of the users a process serves.
KEPT_CHARACTERS = 4_000_000

_TEMPLATE = "chats/_chat_item.html"

# The page a row's forms come back to, as a placeholder: letters and digits, which escaping
# leaves as they are, and which no title can guess.
_PLACEHOLDER_PATH = f"kept-path-{secrets.token_hex(16)}"

_kept = KeptHtml(KEPT_CHARACTERS)


class _PlaceholderRequest:
    """All a row's template reads of the request."""

    def get_full_path(self) -> str:
        return _PLACEHOLDER_PATH


def item_key(chat: ChatSession | SidebarChat, active: int | None) -> tuple[Any, ...]:
    return (chat.pk, chat.title, chat.pinned, chat.archived, chat.pk == active)


def render_chat_items(
    chats: Iterable[ChatSession | SidebarChat],
    *,
    active: int | None,
    csrf_token: str | None,
    path: str,
) -> SafeString:
    """The rows of `chats`, as `{% include "chats/_chat_item.html" %}` for each would write them
    on the page at `path`, with `csrf_token` in their forms."""
    parts = []
    for chat in chats:
        key = item_key(chat, active)
        html = _kept.get(key)
        if html is None:
            context = {
                "chat": chat,
                "active": active,
                "csrf_token": PLACEHOLDER_TOKEN,
                "request": _PlaceholderRequest(),
            }
            html = get_template(_TEMPLATE).render(context)
            _kept.put(key, html, size=len(html) + len(chat.title))
        parts.append(html)
    rows = with_csrf_token("".join(parts), csrf_token).replace(_PLACEHOLDER_PATH, escape(path))
    return mark_safe(rows)  # noqa: S308  (each part is the template's escaped output)
