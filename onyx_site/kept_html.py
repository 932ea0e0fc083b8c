"""HTML fragments rendered once per process and kept, least recently used first out, bounded by
their size; and the CSRF token of their forms, the one per-request part, rendered as a
placeholder and put in on the way out (chats/bubbles.py, chats/sidebar_items.py).

Kept in memory, per process: a lookup costs less than a Redis round trip, and a process that has
not seen a fragment renders it as it did before.
"""

import secrets
import threading
from collections import OrderedDict
from collections.abc import Hashable

from django.template import Context
from django.template.defaulttags import CsrfTokenNode

# A token no fragment can contain: the page's text is escaped or sanitised, and nobody can
# guess 128 random bits, so replacing it touches only the forms' hidden inputs.
PLACEHOLDER_TOKEN = f"kept-csrf-{secrets.token_hex(16)}"
_PLACEHOLDER_INPUT = str(CsrfTokenNode().render(Context({"csrf_token": PLACEHOLDER_TOKEN})))


def with_csrf_token(html: str, csrf_token: str | None) -> str:
    """`html` rendered with PLACEHOLDER_TOKEN, as if rendered with `csrf_token` (none: no
    hidden input, as {% csrf_token %} writes without one)."""
    token_input = (
        str(CsrfTokenNode().render(Context({"csrf_token": csrf_token}))) if csrf_token else ""
    )
    return html.replace(_PLACEHOLDER_INPUT, token_input)


class KeptHtml:
    """Least recently used fragments, bounded by their size; a lock, as sync views share a
    process's threads."""

    def __init__(self, max_characters: int) -> None:
        self._max = max_characters
        self._size = 0
        self._html: OrderedDict[Hashable, tuple[str, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            kept = self._html.get(key)
            if kept is None:
                return None
            self._html.move_to_end(key)
            return kept[0]

    def put(self, key: Hashable, html: str, size: int) -> None:
        if size > self._max:
            return
        with self._lock:
            if key in self._html:
                return
            self._html[key] = (html, size)
            self._size += size
            while self._size > self._max:
                _, (_, dropped) = self._html.popitem(last=False)
                self._size -= dropped
