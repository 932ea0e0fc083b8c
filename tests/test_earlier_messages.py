"""A chat page shows the newest messages of its branch; the earlier ones come a page at a time,
by a link that works without JavaScript and from the messages fragment that chat.js reads."""

import re

import pytest
from django.test import Client

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from chats.views import HISTORY_ON_PAGE
from tests.factories import add_message, add_turns, make_chat

pytestmark = pytest.mark.django_db


def _long_chat(owner: User, count: int) -> tuple[ChatSession, list[ChatMessage]]:
    chat = make_chat(owner=owner, title="Longue conversation 長い 🦉")
    messages = add_turns(
        chat,
        count,
        question="Frage {n}: où est le café ? 東京 🦉",
        answer="Réponse {n} — *ja* 木 ☕",
    )
    return chat, messages


def _shown_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<article [^>]*id="message-(\d+)"', html)]


def _earlier_href(html: str) -> str | None:
    found = re.search(
        r'<p class="earlier" data-role="earlier"><a class="button small" href="([^"]+)"', html
    )
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_page_shows_the_newest_messages_and_links_to_the_ones_above(
    alice_client: Client, alice: User
) -> None:
    chat, messages = _long_chat(alice, 50)
    page = alice_client.get(f"/chats/{chat.pk}/").content.decode()
    newest = messages[-HISTORY_ON_PAGE:]
    assert _shown_ids(page) == [m.pk for m in newest]
    assert "Réponse 49 — <em>ja</em> 木 ☕" in page
    assert "Frage 0:" not in page
    oldest = newest[0]
    assert _earlier_href(page) == (
        f"/chats/{chat.pk}/?before={oldest.pk}#message-{oldest.parent_id}"
    )
    assert "Show earlier messages" in page
    assert "Show the latest messages" not in page


def test_a_short_chat_has_no_earlier_link(alice_client: Client, alice: User) -> None:
    chat, messages = _long_chat(alice, HISTORY_ON_PAGE)
    page = alice_client.get(f"/chats/{chat.pk}/").content.decode()
    assert _shown_ids(page) == [m.pk for m in messages]
    assert 'data-role="earlier"' not in page
    fragment = alice_client.get(f"/chats/{chat.pk}/messages/").content.decode()
    assert 'data-role="earlier"' not in fragment


def test_following_the_earlier_links_without_javascript_reaches_the_first_message(
    alice_client: Client, alice: User
) -> None:
    chat, messages = _long_chat(alice, 2 * HISTORY_ON_PAGE + 7)
    page = alice_client.get(f"/chats/{chat.pk}/").content.decode()
    seen = _shown_ids(page)
    pages = 1
    while (href := _earlier_href(page)) is not None:
        response = alice_client.get(href)
        assert response.status_code == 200
        page = response.content.decode()
        shown = _shown_ids(page)
        # The page lands on its newest message, the one just above those read before.
        assert href.endswith(f"#message-{shown[-1]}")
        latest = f'<a class="button small" href="/chats/{chat.pk}/">Show the latest messages</a>'
        assert latest in page
        seen = shown + seen
        pages += 1
    assert pages == 3
    assert seen == [m.pk for m in messages]
    assert "Frage 0: où est le café ? 東京 🦉" in page


def test_the_fragment_gives_the_page_above_a_message_with_the_next_link(
    alice_client: Client, alice: User
) -> None:
    chat, messages = _long_chat(alice, HISTORY_ON_PAGE + 5)
    newest = alice_client.get(f"/chats/{chat.pk}/messages/").content.decode()
    assert _shown_ids(newest) == [m.pk for m in messages[-HISTORY_ON_PAGE:]]
    oldest = messages[-HISTORY_ON_PAGE]
    assert _earlier_href(newest) == (
        f"/chats/{chat.pk}/?before={oldest.pk}#message-{oldest.parent_id}"
    )
    above = alice_client.get(f"/chats/{chat.pk}/messages/", {"before": oldest.pk})
    assert above.status_code == 200
    body = above.content.decode()
    assert _shown_ids(body) == [m.pk for m in messages[:5]]
    assert "Frage 0: où est le café ? 東京 🦉" in body
    assert 'data-role="earlier"' not in body  # the start of the branch
    assert "Show the latest messages" not in body


def test_the_page_above_a_message_follows_that_messages_branch(
    alice_client: Client, alice: User
) -> None:
    chat, messages = _long_chat(alice, 6)
    # Another version of the third message, with a reply of its own: the chat now shows it.
    edited = add_message(chat, "user", "Frage 2, édition ✏️", parent=messages[1])
    reply = add_message(chat, "assistant", "Autre réponse 🌿")
    above_edit = alice_client.get(f"/chats/{chat.pk}/messages/", {"before": reply.pk})
    assert _shown_ids(above_edit.content.decode()) == [m.pk for m in messages[:2]] + [edited.pk]
    above_old = alice_client.get(f"/chats/{chat.pk}/messages/", {"before": messages[5].pk})
    assert _shown_ids(above_old.content.decode()) == [m.pk for m in messages[:5]]


@pytest.mark.parametrize("path", ["", "messages/"])
def test_a_before_id_from_another_chat_or_user_is_not_found(
    alice_client: Client, alice: User, bob: User, bob_client: Client, path: str
) -> None:
    chat, messages = _long_chat(alice, 3)
    _, other_messages = _long_chat(alice, 3)
    bobs = make_chat(owner=bob, title="Bob 🐻")
    bobs_message = add_message(bobs, "user", "à moi")
    for before in (other_messages[2].pk, bobs_message.pk, "x", "²", "9" * 30, ""):
        response = alice_client.get(f"/chats/{chat.pk}/{path}", {"before": before})
        assert response.status_code == 404, before
    # Bob reads nothing of Alice's, with her own ids or his.
    for before in (messages[2].pk, bobs_message.pk):
        assert bob_client.get(f"/chats/{chat.pk}/{path}", {"before": before}).status_code == 404
    own = alice_client.get(f"/chats/{chat.pk}/{path}", {"before": messages[2].pk})
    assert own.status_code == 200


@pytest.mark.parametrize("count", [HISTORY_ON_PAGE * 2, HISTORY_ON_PAGE * 12])
def test_earlier_pages_take_a_fixed_number_of_queries(
    alice_client: Client, alice: User, count: int, django_assert_max_num_queries
) -> None:
    chat, messages = _long_chat(alice, count)
    before = messages[-HISTORY_ON_PAGE].pk
    # Session, chat, the message above which, the branch's ids, its messages, their versions.
    with django_assert_max_num_queries(7):
        response = alice_client.get(f"/chats/{chat.pk}/messages/", {"before": before})
        assert response.status_code == 200
    assert len(_shown_ids(response.content.decode())) == HISTORY_ON_PAGE
    with django_assert_max_num_queries(11):
        assert alice_client.get(f"/chats/{chat.pk}/", {"before": before}).status_code == 200
