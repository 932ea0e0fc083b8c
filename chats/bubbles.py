"""Message bubbles for the chat page, each finished one rendered once per process.

A finished message's bubble (templates/chats/_message.html) changes only with what the template
reads from it, so its HTML is kept under a key made of exactly those values: a bubble is rendered
again when its feedback, versions, citations or anything else shown changes, and never served
stale. Its forms' CSRF token is put in on the way out, and it is kept in memory, per process
(onyx_site/kept_html.py). A reply still being written, or a bubble showing a refused edit, is
rendered each time. A deleted message's bubble can no longer be asked for, but its text stays
in memory until newer bubbles push it out. The template may read nothing from the page's context
but the message, the CSRF token and the refused edit (test_bubbles.py checks it): a kept bubble
is rendered without the rest.
"""

import json
from collections.abc import Iterable
from operator import attrgetter
from typing import Any

from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from chats.branches import Shown
from onyx_site.kept_html import PLACEHOLDER_TOKEN, KeptHtml, with_csrf_token

# What the kept bubbles may hold in all, in characters: their HTML and their keys' text and
# citations. 4 MB of plain text, up to 16 MB of emoji (CPython's widest strings).
KEPT_CHARACTERS = 4_000_000

_TEMPLATE = "chats/_message.html"

_kept = KeptHtml(KEPT_CHARACTERS)


# Every attribute of a message that _message.html (with what it includes) reads, but its
# citations: a kept bubble's key is their values. test_bubbles.py checks it reads nothing else.
SHOWN_FIELDS = (
    "pk", "chat_id", "parent_id", "role", "status", "is_finished", "content", "error",
    "model_name", "feedback", "created_at", "siblings",
)  # fmt: skip
_shown_values = attrgetter(*SHOWN_FIELDS)


def bubble_key(message: Shown) -> tuple[Any, ...]:
    citations = message.shown_citations
    return (
        *_shown_values(message),
        json.dumps(citations, sort_keys=True, default=str) if citations else "",
    )


def _render(message: Shown, context: dict[str, Any]) -> str:
    return get_template(_TEMPLATE).render({**context, "message": message})


def render_bubbles(
    messages: Iterable[Shown], *, csrf_token: str | None, edit_refused: Any = None
) -> SafeString:
    """The bubbles of `messages`, as `{% include "chats/_message.html" %}` for each would write
    them, with `csrf_token` in their forms (none without one)."""
    refused_id = getattr(edit_refused, "message_id", None)
    parts = []
    for message in messages:
        if not message.is_finished or message.pk == refused_id:
            context = {"csrf_token": csrf_token, "edit_refused": edit_refused}
            parts.append(_render(message, context))
            continue
        key = bubble_key(message)
        html = _kept.get(key)
        if html is None:
            html = _render(message, {"csrf_token": PLACEHOLDER_TOKEN, "edit_refused": None})
            _kept.put(key, html, size=len(html) + len(message.content) + len(key[-1]))
        parts.append(html)
    return mark_safe(with_csrf_token("".join(parts), csrf_token))  # noqa: S308  (each part is the template's escaped output)
