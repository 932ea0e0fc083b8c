"""The chat and message JSON is built by hand for speed; it must stay exactly what DRF's
generic serializer would build from the same fields."""

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from rest_framework import serializers

from accounts.api import MeSerializer
from accounts.models import User
from chats import branches, selectors
from chats import serializers as serializers_module
from chats.models import ChatMessage, ChatSession
from chats.serializers import ChatMessageSerializer, ChatSessionSerializer, listed_message_json
from onyx_site import live_state
from tests.conftest import make_user
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
    # DRF lists chat.files as the database returns them; ours are by id.
    theirs["files"] = sorted(theirs["files"], key=lambda file: file["id"])
    theirs["file_ids"] = sorted(theirs["file_ids"])
    assert ours == theirs
    assert len(ours["files"]) == 3
    # The API's list reads its page with the files in one statement: the same JSON.
    [listed], total = selectors.chat_page(alice, offset=0, limit=10)
    assert ChatSessionSerializer(listed).data == ours
    assert total == 1


@pytest.mark.django_db
def test_the_signed_in_user_is_what_drf_would_make_of_it(operator: User) -> None:
    for user in (operator, make_user("zoë.ñandú@example.com")):
        ours = MeSerializer(user).data
        assert ours == serializers.ModelSerializer.to_representation(MeSerializer(), user)
        assert ours["email"] == user.email


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
def test_the_api_list_writes_the_bytes_the_serializer_writes_for_each_message(alice: User) -> None:
    chat = make_chat(owner=alice)
    question = add_message(
        chat, "user", 'Qu\'est-ce que le "café" ☕? 咖啡\r\nZeile 2\t\\ \x01 </p>', parent=None
    )
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
        feedback_comment="Trop « court »",
        model_name="bench-model",
        prompt_tokens=11,
        completion_tokens=7,
    )
    gone.delete()
    # Longer than the HTML kept as JSON (chats.serializers._KEPT_CHARS): encoded each time.
    long_question = "Und jetzt? 🤔 " + "Länger, 更长 🧵\n" * 400
    assert len(long_question) > serializers_module._KEPT_CHARS
    add_message(chat, "user", long_question, client_id="tab-1 ✓")
    # A reply being written: its text so far is in Redis, newer than its row's.
    writing = add_message(chat, "assistant", "Der Anf", status="streaming")
    live_state.store_event(
        alice.pk,
        {"type": "message.delta", "message_id": writing.pk, "delta": "Der Anfang …"},
        live_state.ReplyText(writing.pk, append="Der Anfang …"),
    )
    chat.refresh_from_db()
    serializer = ChatMessageSerializer()

    def listed(page: branches.BranchPage[branches.MessageJson]) -> list[bytes]:
        shown = selectors.ready_to_list(alice, page.messages)
        return [orjson.dumps(listed_message_json(m)) for m in shown]

    def serialized(page: branches.BranchPage[ChatMessage]) -> list[bytes]:
        shown = selectors.ready_to_show(alice, page.messages)
        return [orjson.dumps(serializer.to_representation(m)) for m in shown]

    shown = branches.shown_branch(alice, chat, limit=50).messages
    for limit in (1, 2, 3, 50):
        for before in (None, *shown):
            rows = branches.chat_branch_json(
                alice, chat_id=chat.pk, limit=limit, before_id=before.pk if before else None
            )
            models = branches.shown_branch(alice, chat, limit=limit, before=before)
            assert listed(rows) == serialized(models)
            assert rows.older == models.older
    page = [
        orjson.loads(m) for m in listed(branches.chat_branch_json(alice, chat_id=chat.pk, limit=50))
    ]
    assert [m["sibling_count"] for m in page] == [1, 1, 2, 1]
    assert [c["deleted"] for c in page[2]["citations"]] == [False, True]
    assert page[0]["content"] == "Der Anfang …"
    assert page[0]["html"] == "<p>Der Anfang …</p>\n"
    assert page[3]["html"].startswith("Qu&#x27;est-ce que le &quot;café&quot; ☕? 咖啡<br>Zeile 2")


@pytest.mark.django_db
def test_the_api_list_keeps_the_html_of_finished_messages_only(alice: User) -> None:
    chat = make_chat(owner=alice)
    question = add_message(chat, "user", "Wie geht's? 你好 👋")
    done = add_message(chat, "assistant", "Gut, **danke** 🙂", parent=question)
    writing = add_message(chat, "assistant", "Ich schr", parent=question, status="streaming")
    caches = (serializers_module._user_html_json, serializers_module._assistant_html_json)
    for cache in caches:
        cache.cache_clear()
    page = branches.chat_branch_json(alice, chat_id=chat.pk, limit=50).messages
    assert {m.pk for m in page} == {writing.pk, question.pk}
    for message in selectors.ready_to_list(alice, page):
        listed_message_json(message)
    # The question is kept; the reply being written, whose text changes at every read, is not.
    assert [cache.cache_info().currsize for cache in caches] == [1, 0]
    chat.active_leaf = done
    chat.save(update_fields=["active_leaf"])
    page = branches.chat_branch_json(alice, chat_id=chat.pk, limit=50).messages
    for message in selectors.ready_to_list(alice, page):
        listed_message_json(message)
    assert [cache.cache_info().currsize for cache in caches] == [1, 1]


@pytest.mark.django_db
def test_the_chat_list_writes_times_as_drf_does_whatever_their_microseconds(alice: User) -> None:
    times = [
        datetime(2026, 11, 27, 17, 1, 2, tzinfo=UTC),  # no microseconds: none written
        datetime(2026, 11, 27, 17, 1, 2, 500, tzinfo=UTC),
        datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 0, 0, 120000, tzinfo=timezone(timedelta(hours=-5))),
    ]
    for n, moment in enumerate(times):
        chat = make_chat(owner=alice, title=f"Zeit {n} — 時間")
        ChatSession.objects.filter(pk=chat.pk).update(created_at=moment, updated_at=moment)
    listed, _ = selectors.chat_page(alice, offset=0, limit=10)
    field = serializers.DateTimeField()
    written = {row.title: (row.created_at, row.updated_at) for row in listed}
    for n, moment in enumerate(times):
        expected = field.to_representation(moment.astimezone(UTC))
        assert written[f"Zeit {n} — 時間"] == (expected, expected)
    assert written["Zeit 0 — 時間"][0] == "2026-11-27T17:01:02Z"
    assert written["Zeit 3 — 時間"][0] == "2000-01-01T04:00:00.120000Z"


@pytest.mark.django_db
def test_the_message_list_writes_times_as_drf_does_whatever_their_microseconds(
    alice: User,
) -> None:
    times = [
        datetime(2026, 11, 27, 17, 1, 2, tzinfo=UTC),
        datetime(2026, 11, 27, 17, 1, 2, 500, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 0, 0, 120000, tzinfo=timezone(timedelta(hours=-5))),
    ]
    chat = make_chat(owner=alice)
    for n, moment in enumerate(times):
        message = add_message(chat, "user", f"Zeit {n} — 時間 ⏰")
        ChatMessage.objects.filter(pk=message.pk).update(created_at=moment)
    page = branches.chat_branch_json(alice, chat_id=chat.pk, limit=10).messages
    listed = [orjson.loads(m.written)["created_at"] for m in page]
    field = serializers.DateTimeField()
    assert listed[::-1] == [field.to_representation(moment.astimezone(UTC)) for moment in times]
    assert listed[0] == "2000-01-01T04:00:00.120000Z"
