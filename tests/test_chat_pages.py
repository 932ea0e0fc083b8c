"""The chat pages, server-rendered, work without JavaScript too."""

import pytest
from django.test import Client

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from tests.factories import add_message, make_chat

pytestmark = pytest.mark.django_db


def test_new_chat_opens_an_empty_chat(alice_client: Client, alice: User) -> None:
    response = alice_client.post("/chats/new/")
    chat = ChatSession.objects.for_user(alice).get()
    assert response["Location"] == f"/chats/{chat.pk}/"
    page = alice_client.get(response["Location"]).content.decode()
    assert "Say hello to start the conversation." in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_the_list_shows_only_ones_own_chats(
    alice_client: Client, alice_chat: ChatSession, bob_chat: ChatSession
) -> None:
    page = alice_client.get("/chats/").content.decode()
    assert "Alice&#x27;s plans" in page
    assert "Bob" not in page


def test_history_escapes_user_text_and_renders_assistant_markdown(
    alice_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    add_message(alice_chat, "user", "<script>alert(1)</script> **not bold**")
    add_message(
        alice_chat,
        "assistant",
        "**bold** <img src=x onerror=alert(1)>\n\n```python\nimport os\n```",
    )
    page = alice_client.get(f"/chats/{alice_chat.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **not bold**" in page
    assert "<script>alert(1)" not in page
    assert "<strong>bold</strong>" in page
    assert "<img" not in page  # shown as text, never as a tag
    assert 'class="highlight"' in page


def test_bob_gets_404_for_alices_chat_pages(bob_client: Client, alice_chat: ChatSession) -> None:
    for path in ("", "delete/"):
        assert bob_client.get(f"/chats/{alice_chat.pk}/{path}").status_code == 404
    for path in ("send/", "rename/", "delete/"):
        assert (
            bob_client.post(
                f"/chats/{alice_chat.pk}/{path}", {"content": "x", "title": "x"}
            ).status_code
            == 404
        )
    alice_chat.refresh_from_db()
    assert alice_chat.title == "Alice's plans"


def test_sending_without_javascript_saves_and_comes_back(
    alice_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    response = alice_client.post(f"/chats/{alice_chat.pk}/send/", {"content": "Hello AI"})
    assert response.status_code == 302
    assert (
        ChatMessage.objects.for_user(alice).filter(chat=alice_chat, role="user").get().content
        == "Hello AI"
    )


def test_an_empty_message_is_a_form_error(
    alice_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    response = alice_client.post(f"/chats/{alice_chat.pk}/send/", {"content": "  "})
    assert response.status_code == 400
    assert b"Write a message first." in response.content
    assert not ChatMessage.objects.for_user(alice).exists()


def test_rename_and_delete_with_confirmation(
    alice_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    alice_client.post(f"/chats/{alice_chat.pk}/rename/", {"title": "Holiday"})
    alice_chat.refresh_from_db()
    assert alice_chat.title == "Holiday"
    confirm = alice_client.get(f"/chats/{alice_chat.pk}/delete/")
    assert b"cannot be undone" in confirm.content
    assert ChatSession.objects.for_user(alice).exists()
    alice_client.post(f"/chats/{alice_chat.pk}/delete/")
    assert not ChatSession.objects.for_user(alice).exists()


def test_search_page_finds_message_text(
    alice_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    ChatMessage.objects.create(
        chat=alice_chat, owner=alice, role="user", content="recipes for sourdough bread"
    )
    page = alice_client.get("/chats/", {"q": "sourdough"}).content.decode()
    assert "Alice&#x27;s plans" in page
    assert "sourdough bread" in page
    assert "No chat matches" in alice_client.get("/chats/", {"q": "zeppelin"}).content.decode()


def test_chat_pages_take_a_fixed_number_of_queries(
    alice_client: Client, alice: User, alice_chat: ChatSession, django_assert_max_num_queries
) -> None:
    for n in range(40):
        add_message(alice_chat, "user" if n % 2 == 0 else "assistant", f"m{n}")
        make_chat(owner=alice, title=f"c{n}")
    # Fixed whatever the history's length: session, chat, stalled replies, the branch's ids, its
    # messages, their versions, the chat's files, the sidebar, the file picker, the models.
    with django_assert_max_num_queries(10):
        assert alice_client.get(f"/chats/{alice_chat.pk}/").status_code == 200
    with django_assert_max_num_queries(5):
        assert alice_client.get("/chats/").status_code == 200
