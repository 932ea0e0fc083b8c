"""SVG icons for buttons and links: `{% icon "copy" %}`, each drawn from one symbol per page.

Drawn after Lucide (ISC licence, static/vendor/README.md): 24x24 strokes in the current colour,
hidden from screen readers (the button around an icon carries the words).
"""

import functools

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

ICON_PATHS: dict[str, str] = {
    "archive": '<rect width="20" height="5" x="2" y="3" rx="1"/>'
    '<path d="M4 8v11a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8"/><path d="M10 12h4"/>',
    "arrow-down": '<path d="M12 5v14"/><path d="m19 12-7 7-7-7"/>',
    "attach": '<path d="m21.44 11.05-9.19 9.19a6 6 0 0 1-8.49-8.49l8.57-8.57A4 4 0 1 1 18 '
    '8.84l-8.59 8.57a2 2 0 0 1-2.83-2.83l8.49-8.48"/>',
    "check": '<path d="M20 6 9 17l-5-5"/>',
    "chevron-down": '<path d="m6 9 6 6 6-6"/>',
    "chevron-left": '<path d="m15 18-6-6 6-6"/>',
    "chevron-right": '<path d="m9 18 6-6-6-6"/>',
    "chat": '<path d="M7.9 20A9 9 0 1 0 4 16.1L2 22Z"/>',
    "close": '<path d="M18 6 6 18"/><path d="m6 6 12 12"/>',
    "copy": '<rect width="13" height="13" x="9" y="9" rx="2"/>'
    '<path d="M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2h9a2 2 0 0 1 2 2v1"/>',
    "download": '<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/>'
    '<path d="m7 10 5 5 5-5"/><path d="M12 15V3"/>',
    "edit": '<path d="M21.17 6.81a1 1 0 0 0-3.99-3.99L3.84 16.17a2 2 0 0 0-.5.83l-1.32 '
    '4.35a.5.5 0 0 0 .62.62l4.35-1.32a2 2 0 0 0 .83-.5z"/><path d="m15 5 4 4"/>',
    "file": '<path d="M15 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V7Z"/>'
    '<path d="M14 2v4a2 2 0 0 0 2 2h4"/>',
    "files": '<path d="M20 7h-3a2 2 0 0 1-2-2V2"/><path d="M9 18a2 2 0 0 1-2-2V4a2 2 0 0 1 '
    '2-2h7l4 4v10a2 2 0 0 1-2 2Z"/><path d="M3 7.6v12.8A1.6 1.6 0 0 0 4.6 22h9.8"/>',
    "info": '<circle cx="12" cy="12" r="10"/><path d="M12 16v-4"/><path d="M12 8h.01"/>',
    "alert": '<circle cx="12" cy="12" r="10"/><path d="M12 8v4"/><path d="M12 16h.01"/>',
    "logout": '<path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4"/><path d="m16 17 5-5-5-5"/>'
    '<path d="M21 12H9"/>',
    "menu": '<path d="M4 6h16"/><path d="M4 12h16"/><path d="M4 18h16"/>',
    "monitor": '<rect width="20" height="14" x="2" y="3" rx="2"/><path d="M8 21h8"/>'
    '<path d="M12 17v4"/>',
    "more": '<circle cx="12" cy="12" r="1"/><circle cx="19" cy="12" r="1"/>'
    '<circle cx="5" cy="12" r="1"/>',
    "new-chat": '<path d="M12 3H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2v-7"/>'
    '<path d="M18.38 2.62a1 1 0 0 1 3 3l-9.01 9.01a2 2 0 0 1-.85.51l-2.87.84a.5.5 0 0 '
    '1-.62-.62l.84-2.87a2 2 0 0 1 .5-.85z"/>',
    "pin": '<path d="M12 17v5"/><path d="M9 10.76a2 2 0 0 1-1.11 1.79l-1.78.9A2 2 0 0 0 5 '
    "15.24V16a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-.76a2 2 0 0 0-1.11-1.79l-1.78-.9A2 2 0 0 1 15 "
    '10.76V7a1 1 0 0 1 1-1 2 2 0 0 0 0-4H8a2 2 0 0 0 0 4 1 1 0 0 1 1 1z"/>',
    "regenerate": '<path d="M3 12a9 9 0 0 1 9-9 9.75 9.75 0 0 1 6.74 2.74L21 8"/>'
    '<path d="M21 3v5h-5"/><path d="M21 12a9 9 0 0 1-9 9 9.75 9.75 0 0 1-6.74-2.74L3 16"/>'
    '<path d="M8 16H3v5"/>',
    "search": '<circle cx="11" cy="11" r="8"/><path d="m21 21-4.3-4.3"/>',
    "send": '<path d="m5 12 7-7 7 7"/><path d="M12 19V5"/>',
    "settings": '<path d="M20 7h-9"/><path d="M14 17H5"/><circle cx="17" cy="17" r="3"/>'
    '<circle cx="7" cy="7" r="3"/>',
    "shield": '<path d="M20 13c0 5-3.5 7.5-7.66 8.95a1 1 0 0 1-.67-.01C7.5 20.5 4 18 4 13V6a1 1 '
    "0 0 1 1-1c2 0 4.5-1.2 6.24-2.72a1.17 1.17 0 0 1 1.52 0C14.51 3.81 17 5 19 5a1 1 0 0 1 1 "
    '1z"/>',
    "stop": '<rect width="12" height="12" x="6" y="6" rx="2" fill="currentColor"/>',
    "thumbs-down": '<path d="M17 14V2"/><path d="M9 18.12 10 14H4.17a2 2 0 0 1-1.92-2.56l2.33-8'
    "A2 2 0 0 1 6.5 2H20a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-2.76a2 2 0 0 0-1.79 1.11L12 22a3.13 "
    '3.13 0 0 1-3-3.88Z"/>',
    "thumbs-up": '<path d="M7 10v12"/><path d="M15 5.88 14 10h5.83a2 2 0 0 1 1.92 2.56l-2.33 8'
    "A2 2 0 0 1 17.5 22H4a2 2 0 0 1-2-2v-8a2 2 0 0 1 2-2h2.76a2 2 0 0 0 1.79-1.11L12 2a3.13 "
    '3.13 0 0 1 3 3.88Z"/>',
    "trash": '<path d="M3 6h18"/><path d="M19 6v14c0 1-1 2-2 2H7c-1 0-2-1-2-2V6"/>'
    '<path d="M8 6V4c0-1 1-2 2-2h4c1 0 2 1 2 2v2"/>',
    "unarchive": '<rect width="20" height="5" x="2" y="3" rx="1"/>'
    '<path d="M4 8v11a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8"/><path d="m9.5 14.5 2.5-2.5 2.5 2.5"/>'
    '<path d="M12 12v6"/>',
    "upload": '<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4"/>'
    '<path d="m17 8-5-5-5 5"/><path d="M12 3v12"/>',
    "user": '<circle cx="12" cy="8" r="5"/><path d="M20 21a8 8 0 0 0-16 0"/>',
}


@register.simple_tag
def icon(name: str, extra_class: str = "") -> SafeString:
    """The icon `name`, drawn from its symbol on the page (icon_symbols()); an unknown name is a
    template error, not a blank."""
    return _svg(name, extra_class)


@register.simple_tag
def icon_symbols() -> SafeString:
    """Every icon once, as a <symbol> the page's icons draw: at the top of every page's body
    (templates/base.html). Each icon was 250-450 bytes of inline paths, half of a page's HTML:
    a page with 200 chats in its sidebar sent 1,000 of them."""
    return _symbols()


# A chat page draws a few icons per message: each is built once per process, not per use.
@functools.cache
def _svg(name: str, extra_class: str) -> SafeString:
    if name not in ICON_PATHS:
        raise KeyError(f"No icon named {name!r}.")
    classes = f"icon {extra_class}".strip()
    return format_html(
        '<svg class="{}" width="20" height="20" aria-hidden="true" focusable="false">'
        '<use href="#{}"/></svg>',
        classes,
        _symbol_id(name),
    )


def _symbol_id(name: str) -> str:
    return f"svg-{name}"


@functools.cache
def _symbols() -> SafeString:
    # Stroke, fill and size are the `icon` class's (static/css/app.css), inherited by the paths.
    symbols = "".join(
        f'<symbol id="{_symbol_id(name)}" viewBox="0 0 24 24">{paths}</symbol>'
        for name, paths in ICON_PATHS.items()
    )
    return mark_safe(  # noqa: S308  (constant markup above, never user input)
        f'<svg class="icon-symbols" width="0" height="0" aria-hidden="true" focusable="false">'
        f"{symbols}</svg>"
    )
