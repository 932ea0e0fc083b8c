"""The sidebar's chats are rendered once per process and kept (chats/sidebar_items.py): what a
page shows is what rendering each row would write, with this request's token and path."""

import re
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import pytest
from django.template import Context, Template
from django.template.loader import get_template
from django.test import Client
from django.utils import timezone

from accounts.models import User
from chats import selectors, sidebar_items
from chats.models import ChatSession
from chats.selectors import SidebarChat
from onyx_site.kept_html import KeptHtml
from tests.template_reads import NamesRead, Reads

_EACH_RENDERED = Template(
    '{% for chat in chats %}{% include "chats/_chat_item.html" %}{% endfor %}'
)
TOKEN = "t0ken-for-this-request"
PATH = "/chats/?q=<b>crème & 寿司</b>"


class _Request:
    def get_full_path(self) -> str:
        return PATH


@pytest.fixture(autouse=True)
def nothing_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sidebar_items, "_kept", KeptHtml(sidebar_items.KEPT_CHARACTERS))


@pytest.fixture
def chats(alice: User) -> list[ChatSession]:
    made = [
        ChatSession.objects.create(owner=alice, title=title, pinned=pinned, archived=archived)
        for title, pinned, archived in [
            ("Crème brûlée ☕", True, False),
            ("寿司 & <script>alert(1)</script>", False, False),
            ("", False, True),  # shown as "New chat"
            ("Quotes \"double\" and 'single' 🚀", False, False),
        ]
    ]
    return made


def _each_rendered(chats: Sequence[ChatSession | SidebarChat], **context: Any) -> str:
    return _EACH_RENDERED.render(Context({"chats": chats, **context}))


def _kept_rendered(
    chats: Sequence[ChatSession | SidebarChat], *, active: int | None, csrf_token: str | None
) -> str:
    return str(
        sidebar_items.render_chat_items(chats, active=active, csrf_token=csrf_token, path=PATH)
    )


def test_kept_rows_are_what_each_render_writes(chats: list[ChatSession]) -> None:
    active = chats[1].pk
    expected = _each_rendered(chats, active=active, csrf_token=TOKEN, request=_Request())
    assert 'aria-current="page"' in expected
    assert "&lt;script&gt;" in expected
    assert "New chat" in expected
    assert "q=&lt;b&gt;crème &amp; 寿司&lt;/b&gt;" in expected
    assert _kept_rendered(chats, active=active, csrf_token=TOKEN) == expected  # rendered, kept
    assert _kept_rendered(chats, active=active, csrf_token=TOKEN) == expected  # served as kept


def test_each_request_gets_its_own_token_and_none_without_one(chats: list[ChatSession]) -> None:
    _kept_rendered(chats, active=None, csrf_token=TOKEN)
    other = _kept_rendered(chats, active=None, csrf_token="another-token")
    assert TOKEN not in other
    assert other.count('value="another-token"') == 2 * len(chats)
    without = _kept_rendered(chats, active=None, csrf_token=None)
    assert without == _each_rendered(chats, active=None, request=_Request())
    assert "csrfmiddlewaretoken" not in without


def test_a_changed_chat_is_rendered_again(chats: list[ChatSession]) -> None:
    _kept_rendered(chats, active=None, csrf_token=TOKEN)
    chats[0].title = "Renamed · 改名 ✏️"
    chats[1].pinned = True
    chats[3].archived = True
    for active in (None, chats[2].pk):
        expected = _each_rendered(chats, active=active, csrf_token=TOKEN, request=_Request())
        assert "Renamed · 改名 ✏️" in expected
        assert _kept_rendered(chats, active=active, csrf_token=TOKEN) == expected


def test_the_key_holds_everything_the_template_reads(chats: list[ChatSession]) -> None:
    """Of the chat, the attributes in the key (and display_title, made of its title); of the
    page, only what render_chat_items() passes: the request for its path alone."""
    attributes: set[str] = set()
    of_request: set[str] = set()
    names: set[str] = set()
    context = NamesRead(
        {
            "chats": [Reads(chat, attributes) for chat in chats],
            "active": chats[0].pk,
            "csrf_token": TOKEN,
            "request": Reads(_Request(), of_request),
        },
        names,
    )
    _EACH_RENDERED.render(context)
    assert {"pk", "title", "pinned", "archived"} <= attributes  # the recording works
    assert attributes <= {"pk", "title", "pinned", "archived", "display_title"}
    assert of_request == {"get_full_path"}
    assert names - {"forloop", "True", "False", "None"} <= {
        "chats", "chat", "active", "csrf_token", "request", ".request", "with_export",
    }  # fmt: skip


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))


def test_the_sidebar_of_a_page_has_this_pages_token_and_path(
    alice_client: Client, chats: list[ChatSession]
) -> None:
    seen: list[set[str]] = []
    for path in ("/files/", f"/chats/{chats[0].pk}/", "/files/"):
        page = alice_client.get(path).content.decode()
        sidebar = page.split('id="chat-groups"', 1)[1].split("</nav>", 1)[0]
        rest = page.replace(sidebar, "")
        listed = len(chats) - 1  # the archived one is not in the sidebar
        assert sidebar.count(f'name="next" value="{path}"') == 2 * listed
        assert sidebar.count('name="csrfmiddlewaretoken"') == 2 * listed
        assert _tokens(sidebar) == _tokens(rest)  # one token, the page's own
        seen.append(_tokens(sidebar))
    assert len(set.union(*seen)) == len(seen)  # each page its own


def test_a_row_is_rendered_once_then_kept(
    alice: User, chats: list[ChatSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []
    template = get_template("chats/_chat_item.html")

    class Counting:
        def render(self, context: dict[str, Any]) -> str:
            rendered.append(context["chat"].title)
            return template.render(context)

    monkeypatch.setattr(sidebar_items, "get_template", lambda name: Counting())
    # As the sidebar lists them: plain rows (selectors.SidebarChat), not model instances.
    listed = selectors.chat_groups(alice, now=timezone.now(), zone=UTC)
    rows = [row for group in listed.groups for row in group.chats]
    assert {type(row) for row in rows} == {SidebarChat}
    first = _kept_rendered(rows, active=rows[0].pk, csrf_token=TOKEN)
    assert len(rendered) == len(rows) == 3  # the archived chat is not listed
    again = _kept_rendered(rows, active=rows[0].pk, csrf_token=TOKEN)
    assert len(rendered) == 3
    assert (
        again
        == first
        == _each_rendered(rows, active=rows[0].pk, csrf_token=TOKEN, request=_Request())
    )
    _kept_rendered(rows, active=rows[1].pk, csrf_token=TOKEN)  # two rows change: active
    assert len(rendered) == 5
