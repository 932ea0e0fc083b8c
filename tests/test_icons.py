"""Icons are drawn from symbols each page defines once (onyx_site/templatetags/icons.py)."""

import re

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import Client

from accounts.models import User
from chats.models import ChatSession
from tests.factories import add_message, make_file

_USED = re.compile(r'<use href="#([^"]+)"/>')
_DEFINED = re.compile(r'<symbol id="([^"]+)"')
_ICON = re.compile(r'<svg class="icon[ "].*?</svg>', re.S)


@pytest.mark.django_db
def test_every_icon_on_a_page_has_its_symbol_there_once(
    alice: User, alice_client: Client, alice_chat: ChatSession
) -> None:
    add_message(alice_chat, "user", "Bonjour, 寿司 🍣 ?")
    add_message(alice_chat, "assistant", "**Oui** — `code` ✓")
    make_file(owner=alice, name="Menu café ☕.txt", chunks=["crème brûlée"])
    for path in ("/chats/", f"/chats/{alice_chat.pk}/", "/files/", "/account/", "/login/"):
        client = Client() if path == "/login/" else alice_client
        page = client.get(path).content.decode()
        used, defined = set(_USED.findall(page)), _DEFINED.findall(page)
        assert used, path  # the page draws icons
        assert used <= set(defined), path
        assert len(defined) == len(set(defined)), path  # one set of symbols per page
        icons = _ICON.findall(page)
        assert [svg for svg in icons if re.search(r"<(path|circle|rect)", svg)] == [], path


def test_an_unknown_icon_is_a_template_error() -> None:
    with pytest.raises((KeyError, TemplateSyntaxError)):
        Template('{% load icons %}{% icon "no-such-icon" %}').render(Context())
