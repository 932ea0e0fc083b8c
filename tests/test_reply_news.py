"""What a worker reads to write a reply, and what it tells the tabs when the reply is done."""

from typing import Any

from accounts.models import User
from chats import replies, selectors
from chats.models import Siblings
from tests.factories import add_message, make_chat


def test_a_regenerated_reply_knows_its_versions_and_its_news_asks_only_for_the_chat(
    alice: User, django_assert_num_queries: Any
) -> None:
    chat = make_chat(owner=alice, title="Café ✓ 会議")
    question = add_message(chat, "user", "Wie spät ist es? 🙂")
    first = add_message(chat, "assistant", "Acht Uhr.", parent=question)
    regenerated = add_message(chat, "assistant", "", parent=question, status="pending")

    reply = selectors.reply_to_write(alice.pk, regenerated.pk)

    assert reply is not None
    assert reply.siblings == Siblings(ids=(first.pk, regenerated.pk), index=1)
    reply.status, reply.content = "done", "Neun Uhr, 九時 👩‍👩‍👧"
    with django_assert_num_queries(1):  # the chat's title now; the versions are known
        news = replies.finished_news(reply)
    completed, typing_off, notification = news
    assert completed["message"]["sibling_ids"] == [first.pk, regenerated.pk]  # type: ignore[index]
    assert completed["message"]["sibling_index"] == 1  # type: ignore[index]
    assert 'data-sibling-count="2"' in str(completed["html"])
    assert typing_off == {"type": "typing", "chat_id": chat.pk, "message_id": reply.pk, "on": False}
    assert notification["text"] == "Reply finished in “Café ✓ 会議”"


def test_another_users_reply_is_not_written(alice: User, bob: User) -> None:
    chat = make_chat(owner=alice)
    question = add_message(chat, "user", "Hola ¿qué tal?")
    pending = add_message(chat, "assistant", "", parent=question, status="pending")
    assert selectors.reply_to_write(bob.pk, pending.pk) is None
    assert selectors.reply_to_write(alice.pk, pending.pk) is not None
