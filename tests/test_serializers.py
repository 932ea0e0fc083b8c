"""The chat and message JSON is built by hand for speed; it must stay exactly what DRF's
generic serializer would build from the same fields."""

import pytest
from rest_framework import serializers

from accounts.models import User
from chats import selectors
from chats.serializers import ChatMessageSerializer, ChatSessionSerializer
from tests.factories import add_message, make_chat, make_file


@pytest.mark.django_db
def test_a_chat_is_what_drf_would_make_of_it(alice: User) -> None:
    chat = make_chat(owner=alice, title="Café ☕ 计划")
    chat.files.set([make_file(owner=alice, name=n) for n in ("b.txt", "é.txt", "文件.txt")])
    chat.pinned, chat.model, chat.system_prompt = True, "builtin", "Réponds en français 🙂"
    chat.save()
    selectors.attach_chat_files(alice, [chat])
    ours = ChatSessionSerializer(chat).data
    theirs = serializers.ModelSerializer.to_representation(ChatSessionSerializer(), chat)
    assert ours == theirs
    assert len(ours["files"]) == 3
    # The API's list reads its page with the files in one statement: the same JSON.
    [listed], total = selectors.chat_page(alice, offset=0, limit=10)
    assert ChatSessionSerializer(listed).data == ours
    assert total == 1


@pytest.mark.django_db
def test_a_message_is_what_drf_would_make_of_it(alice: User) -> None:
    chat = make_chat(owner=alice, messages=2)
    first = chat.active_leaf
    assert first is not None
    edited = add_message(chat, "assistant", "**Zweite** Version 🙂", parent=first.parent)
    for message in selectors.ready_to_show(alice, [first, edited]):
        ours = ChatMessageSerializer(message).data
        theirs = serializers.ModelSerializer.to_representation(ChatMessageSerializer(), message)
        assert ours == theirs
        assert ours["sibling_count"] == 2
