"""The chat and message JSON is built by hand for speed; it must stay exactly what DRF's
generic serializer would build from the same fields."""

import pytest
from rest_framework import serializers

from accounts.models import User
from chats import branches, selectors
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


@pytest.mark.django_db
def test_the_api_list_reads_rows_that_serialize_as_the_messages_do(alice: User) -> None:
    chat = make_chat(owner=alice)
    question = add_message(chat, "user", "Qu'est-ce que le café ☕? 咖啡\r\nZeile 2", parent=None)
    add_message(chat, "assistant", "Alt 🙂", parent=question, status="failed", error="Kaputt")
    kept = make_file(owner=alice, name="menü.txt")
    gone = make_file(owner=alice, name="gelöscht.txt")
    citations = [
        {"n": 1, "file_id": kept.pk, "file_name": kept.name, "chunk_index": 0, "passage": "A"},
        {"n": 2, "file_id": gone.pk, "file_name": gone.name, "chunk_index": 3, "passage": "B"},
    ]
    add_message(
        chat,
        "assistant",
        "# Réponse\n\n- un\n- 二 👩‍👩‍👧 [1]",
        parent=question,
        citations=citations,
        feedback=-1,
        feedback_comment="Trop court",
        model_name="bench-model",
        prompt_tokens=11,
        completion_tokens=7,
    )
    gone.delete()
    add_message(chat, "user", "Und jetzt?", client_id="tab-1 ✓")
    chat.refresh_from_db()
    serializer = ChatMessageSerializer()

    def as_json(messages: list) -> list[dict]:  # type: ignore[type-arg]
        shown = selectors.ready_to_show(alice, messages)
        return [serializer.to_representation(m) for m in shown]

    for limit in (1, 2, 3, 50):
        rows = branches.shown_branch_rows(alice, chat, limit=limit)
        models = branches.shown_branch(alice, chat, limit=limit)
        assert as_json(rows.messages) == as_json(models.messages)
        assert rows.older == models.older
    listed = as_json(branches.shown_branch_rows(alice, chat, limit=50).messages)
    assert [m["sibling_count"] for m in listed] == [1, 2, 1]
    assert [c["deleted"] for c in listed[1]["citations"]] == [False, True]
