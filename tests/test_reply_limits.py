"""Replies cost money: regenerate counts against the send rate, one reply per chat is written
at a time, and each user has a cap on replies being written at once."""

import json
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from tests.conftest import api_tokens, bearer, sign_in
from tests.factories import add_message

BUSY = (
    "A reply is still being written in this chat. Wait for it to finish or stop it, then try again."
)


def _headers(user: User) -> dict[str, str]:
    return bearer(api_tokens(Client(), user)["access"])


def _answered_chat(user: User, question: str = "Wie spät ist es? 🕰") -> tuple[ChatSession, int]:
    """A chat whose one question has a finished reply."""
    chat = ChatSession.objects.create(owner=user)
    add_message(chat, "user", question)
    reply = add_message(chat, "assistant", "Zeit.")
    return chat, reply.pk


def _regenerate(headers: dict[str, str], chat: ChatSession, reply_id: int) -> Any:
    return Client().post(f"/api/chats/{chat.pk}/messages/{reply_id}/regenerate/", headers=headers)


def _send(headers: dict[str, str], chat: ChatSession, content: str) -> Any:
    return Client().post(
        f"/api/chats/{chat.pk}/messages/",
        json.dumps({"content": content}),
        content_type="application/json",
        headers=headers,
    )


def _unfinished(user: User) -> int:
    return ChatMessage.objects.for_user(user).filter(status__in=ChatMessage.UNFINISHED).count()


@pytest.mark.django_db
def test_regenerating_counts_against_the_send_rate(alice: User, settings: Any) -> None:
    settings.ONYX_SEND_RATE_PER_MINUTE = 2
    headers = _headers(alice)
    answered = [_answered_chat(alice) for _ in range(3)]
    codes = [_regenerate(headers, chat, reply_id).status_code for chat, reply_id in answered]
    assert codes == [201, 201, 429]
    refused = _regenerate(headers, *answered[2])
    assert "too quickly" in refused.json()["detail"]
    assert "Retry-After" in refused.headers


@pytest.mark.django_db
def test_a_second_regenerate_while_the_first_is_written_is_a_409(alice: User) -> None:
    headers = _headers(alice)
    chat, reply_id = _answered_chat(alice)
    new_id = _regenerate(headers, chat, reply_id).json()["id"]
    for target in (new_id, reply_id):  # the new version, or the earlier one again
        again = _regenerate(headers, chat, target)
        assert (again.status_code, again.json()["detail"]) == (409, BUSY)
    assert _unfinished(alice) == 1


@pytest.mark.django_db
def test_a_new_message_while_a_reply_is_written_is_a_409(alice: User) -> None:
    headers = _headers(alice)
    chat = ChatSession.objects.create(owner=alice)
    assert _send(headers, chat, "Première question").status_code == 201
    second = _send(headers, chat, "Deuxième question")
    assert (second.status_code, second.json()["detail"]) == (409, BUSY)
    assert ChatMessage.objects.for_user(alice).filter(role="user").count() == 1


@pytest.mark.django_db
def test_each_user_has_a_cap_on_replies_written_at_once(
    alice: User, bob: User, settings: Any
) -> None:
    settings.ONYX_MAX_CONCURRENT_REPLIES = 2
    headers = _headers(alice)
    chats = [ChatSession.objects.create(owner=alice) for _ in range(3)]
    codes = [_send(headers, chat, "你好").status_code for chat in chats]
    assert codes == [201, 201, 429]
    refused = _send(headers, chats[2], "你好")
    assert refused.json()["detail"] == (
        "You already have 2 replies being written. Wait for one to finish, then try again."
    )
    bob_chat = ChatSession.objects.create(owner=bob)
    assert _send(_headers(bob), bob_chat, "hello").status_code == 201  # bob has his own cap


@pytest.mark.django_db
def test_the_page_form_says_why_instead_of_failing(alice: User) -> None:
    browser = sign_in(alice)
    chat = ChatSession.objects.create(owner=alice)
    assert browser.post(f"/chats/{chat.pk}/send/", {"content": "one"}).status_code == 302
    refused = browser.post(f"/chats/{chat.pk}/send/", {"content": "two"})
    assert refused.status_code == 409
    assert b"still being written in this chat" in refused.content


def _all_at_once(calls: list[Callable[[], Any]]) -> list[int]:
    """Make these requests from as many threads, released together; their status codes."""
    start = threading.Barrier(len(calls))
    codes: list[int] = []

    def run(call: Callable[[], Any]) -> None:
        start.wait(timeout=30)
        try:
            codes.append(call().status_code)
        finally:
            connection.close()  # back to the pool: the test client keeps it, unlike a server

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return codes


@pytest.mark.django_db(transaction=True)
def test_forty_regenerates_at_once_start_one_reply(alice: User, settings: Any) -> None:
    settings.ONYX_SEND_RATE_PER_MINUTE = 1000
    headers = _headers(alice)
    chat, reply_id = _answered_chat(alice)
    codes = _all_at_once([partial(_regenerate, headers, chat, reply_id) for _ in range(40)])
    assert sorted(codes) == [201] + [409] * 39
    assert _unfinished(alice) == 1


@pytest.mark.django_db(transaction=True)
def test_messages_to_twenty_chats_at_once_start_no_more_than_the_cap(
    alice: User, settings: Any
) -> None:
    settings.ONYX_SEND_RATE_PER_MINUTE = 1000
    settings.ONYX_MAX_CONCURRENT_REPLIES = 3
    headers = _headers(alice)
    chats = [ChatSession.objects.create(owner=alice) for _ in range(20)]
    codes = _all_at_once([partial(_send, headers, chat, "Alle zugleich 🚀") for chat in chats])
    assert sorted(codes) == [201] * 3 + [429] * 17
    assert _unfinished(alice) == 3
