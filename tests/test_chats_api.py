"""The chats API: chats, messages, replies, and nobody else's data."""

import json
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from chats.tasks import queue_reply
from onyx_site import live_state
from tests.conftest import api_tokens, bearer, sign_in, wait_for_reply
from tests.factories import add_message, make_chat
from tests.waiting import wait_until
from tests.workers import worker_thread


def _client(user: User) -> tuple[Client, dict[str, str]]:
    return Client(), bearer(api_tokens(Client(), user)["access"])


def _post(client: Client, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json", headers=headers)


def _send(
    client: Client, headers: dict[str, str], chat: ChatSession, content: str, **extra: Any
) -> Any:
    return _post(client, f"/api/chats/{chat.pk}/messages/", {"content": content, **extra}, headers)


@pytest.mark.django_db
def test_alice_creates_lists_renames_and_deletes_a_chat(alice: User) -> None:
    client, headers = _client(alice)
    empty = client.get("/api/chats/", headers=headers).json()
    assert (empty["count"], empty["results"], empty["next"]) == (0, [], None)
    created = _post(client, "/api/chats/", {}, headers)
    assert created.status_code == 201
    chat_id = created.json()["id"]
    listed = client.get("/api/chats/", headers=headers).json()
    assert [chat["id"] for chat in listed["results"]] == [chat_id]
    renamed = client.patch(
        f"/api/chats/{chat_id}/",
        json.dumps({"title": "Trip"}),
        content_type="application/json",
        headers=headers,
    )
    assert renamed.json()["title"] == "Trip"
    assert client.delete(f"/api/chats/{chat_id}/", headers=headers).status_code == 204
    assert not ChatSession.objects.for_user(alice).exists()
    assert client.get("/api/chats/", headers=headers).json()["count"] == 0


@pytest.mark.django_db
def test_the_chat_list_pages_pinned_first_then_latest_without_archived_or_bobs(
    alice: User, bob: User
) -> None:
    now = timezone.now()
    shape = [  # title, pinned, archived, minutes ago
        ("Crème brûlée", False, False, 5),
        ("寿司の話", True, False, 50),
        ("🍕 night", False, True, 1),
        ("Ünïcode 大", False, False, 10),
        ("Épinglé 📌", True, False, 2),
        ("Twenty 二十", False, False, 20),
        ("Same minute a", False, False, 30),
        ("Same minute b", False, False, 30),
    ]
    for title, pinned, archived, ago in shape:
        chat = ChatSession.objects.create(
            owner=alice, title=title, pinned=pinned, archived=archived
        )
        ChatSession.objects.filter(pk=chat.pk).update(updated_at=now - timedelta(minutes=ago))
    ChatSession.objects.create(owner=bob, title="Bob's newest", pinned=True)
    client, headers = _client(alice)
    # Pages of 2: the two chats of the same minute fall on two pages.
    pages = [
        client.get("/api/chats/", {"page_size": 2, "page": n}, headers=headers)
        for n in (1, 2, 3, 4)
    ]
    assert [page.status_code for page in pages] == [200, 200, 200, 200]
    assert {page.json()["count"] for page in pages} == {7}
    listed = [chat["title"] for page in pages for chat in page.json()["results"]]
    same_minute = sorted(
        ChatSession.objects.for_user(alice).filter(title__startswith="Same minute"),
        key=lambda chat: -chat.pk,
    )
    assert listed == [
        "Épinglé 📌",
        "寿司の話",
        "Crème brûlée",
        "Ünïcode 大",
        "Twenty 二十",
        *(chat.title for chat in same_minute),
    ]
    assert (
        client.get("/api/chats/", {"page_size": 2, "page": 5}, headers=headers).status_code == 404
    )


@pytest.mark.django_db
def test_bob_gets_404_for_everything_of_alices(
    alice: User, bob: User, alice_chat: ChatSession
) -> None:
    message = add_message(alice_chat, "assistant", "secret")
    client, headers = _client(bob)
    base = f"/api/chats/{alice_chat.pk}"
    assert client.get(f"{base}/", headers=headers).status_code == 404
    assert (
        client.patch(f"{base}/", "{}", content_type="application/json", headers=headers).status_code
        == 404
    )
    assert client.delete(f"{base}/", headers=headers).status_code == 404
    assert client.get(f"{base}/messages/", headers=headers).status_code == 404
    assert client.get(f"{base}/messages/{message.pk}/", headers=headers).status_code == 404
    assert _send(client, headers, alice_chat, "hi").status_code == 404
    for action in ("edit", "stop", "regenerate", "feedback"):
        body = {"value": 1, "content": "mine now"}
        response = _post(client, f"{base}/messages/{message.pk}/{action}/", body, headers)
        assert response.status_code == 404, action
        assert response.json() == {"detail": "Not found."} or "detail" in response.json()
    assert client.get(f"{base}/export/", headers=headers).status_code == 404
    assert _post(client, f"{base}/branch/", {"message_id": message.pk}, headers).status_code == 404
    # Said for people, never a model's name, and the same as for a chat that does not exist.
    missing = f"/api/chats/{alice_chat.pk + 10_000}"
    for path in (f"{base}/", f"{base}/messages/", f"{missing}/", f"{missing}/messages/"):
        said = client.get(path, headers=headers).json()
        assert said == {"detail": "There is no such chat."}, path
    said = client.get(f"/api/files/{10**9}/", headers=headers).json()
    assert said == {"detail": "There is no such file."}
    assert ChatSession.objects.for_user(alice).filter(pk=alice_chat.pk).exists()
    message.refresh_from_db()
    assert message.feedback is None


@pytest.mark.django_db
def test_posting_saves_the_message_and_a_pending_reply_at_once(
    alice: User, alice_chat: ChatSession
) -> None:
    client, headers = _client(alice)
    response = _send(client, headers, alice_chat, "Plan a picnic")
    assert response.status_code == 201
    body = response.json()
    assert body["user_message"]["content"] == "Plan a picnic"
    assert body["user_message"]["role"] == "user"
    assert body["reply"]["status"] == "pending"
    assert body["reply"]["parent_id"] == body["user_message"]["id"]
    assert body["user_message"]["parent_id"] is None
    assert body["user_message"]["sibling_ids"] == [body["user_message"]["id"]]
    assert ChatMessage.objects.for_user(alice).filter(chat=alice_chat).count() == 2


@pytest.mark.django_db
def test_a_repeated_client_id_returns_the_original(alice: User, alice_chat: ChatSession) -> None:
    client, headers = _client(alice)
    first = _send(client, headers, alice_chat, "Once", client_id="tab-1-msg-1")
    again = _send(client, headers, alice_chat, "Once", client_id="tab-1-msg-1")
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["user_message"]["id"] == first.json()["user_message"]["id"]
    assert again.json()["reply"]["id"] == first.json()["reply"]["id"]
    assert ChatMessage.objects.for_user(alice).count() == 2


@pytest.mark.django_db
def test_client_ids_are_per_user(
    alice: User, bob: User, alice_chat: ChatSession, bob_chat: ChatSession
) -> None:
    alice_client, alice_headers = _client(alice)
    bob_client, bob_headers = _client(bob)
    assert _send(alice_client, alice_headers, alice_chat, "a", client_id="same").status_code == 201
    bob_post = _send(bob_client, bob_headers, bob_chat, "b", client_id="same")
    assert bob_post.status_code == 201
    assert bob_post.json()["user_message"]["content"] == "b"


@pytest.mark.django_db
def test_empty_and_oversized_messages_are_400s_and_store_nothing(
    alice: User, alice_chat: ChatSession
) -> None:
    client, headers = _client(alice)
    empty = _send(client, headers, alice_chat, "   ")
    assert empty.status_code == 400
    assert empty.json()["errors"]["content"] == ["Write a message first."]
    huge = _send(client, headers, alice_chat, "x" * 32_001)
    assert huge.status_code == 400
    assert "32000" in json.dumps(huge.json()) or "32,000" in json.dumps(huge.json())
    assert (
        _post(
            client, f"/api/chats/{alice_chat.pk}/messages/", ["not", "an", "object"], headers
        ).status_code
        == 400
    )
    assert not ChatMessage.objects.for_user(alice).exists()


@pytest.mark.django_db
def test_sending_too_fast_is_a_429_with_a_message(alice: User, settings) -> None:
    settings.ONYX_SEND_RATE_PER_MINUTE = 2
    client, headers = _client(alice)
    chats = [ChatSession.objects.create(owner=alice) for _ in range(3)]
    codes = [_send(client, headers, chat, f"m{n}").status_code for n, chat in enumerate(chats)]
    assert codes == [201, 201, 429]
    response = _send(client, headers, chats[2], "again")
    detail = response.json()["detail"]
    assert detail.startswith("You are sending messages too quickly. Try again in ")
    assert detail.count("Try again") == 1  # said once, not again by the framework
    assert "Expected available" not in detail
    assert "Retry-After" in response.headers


@pytest.mark.django_db
def test_the_first_message_names_a_new_chat(alice: User) -> None:
    chat = ChatSession.objects.create(owner=alice)
    client, headers = _client(alice)
    _send(client, headers, chat, "How do tides work, and why are there two a day? " * 3)
    chat.refresh_from_db()
    assert chat.title.startswith("How do tides work")
    assert len(chat.title) <= 61


@pytest.mark.django_db
def test_messages_page_newest_first_with_a_cursor(alice: User) -> None:
    chat = make_chat(owner=alice, messages=120)
    client, headers = _client(alice)
    first = client.get(f"/api/chats/{chat.pk}/messages/", headers=headers).json()
    assert [m["content"] for m in first["results"][:2]] == ["m119", "m118"]
    assert len(first["results"]) == 50
    second = client.get(first["next"], headers=headers).json()
    assert second["results"][0]["content"] == "m69"
    third = client.get(second["next"], headers=headers).json()
    assert third["results"][-1]["content"] == "m0"
    assert third["next"] is None


@pytest.mark.django_db
def test_listing_chats_and_messages_takes_a_fixed_number_of_queries(
    alice: User, alice_chat: ChatSession, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        make_chat(owner=alice, title=f"c{n}", messages=1)
    for n in range(60):
        add_message(alice_chat, "user" if n % 2 == 0 else "assistant", f"m{n}")
    client, headers = _client(alice)
    with django_assert_max_num_queries(4):
        assert client.get("/api/chats/", headers=headers).status_code == 200
    # Session, chat, stalled replies, the branch's ids, its messages, their versions.
    with django_assert_max_num_queries(6):
        assert (
            client.get(f"/api/chats/{alice_chat.pk}/messages/", headers=headers).status_code == 200
        )


@pytest.mark.django_db
def test_search_finds_titles_and_message_text_of_ones_own_chats(
    alice: User, bob: User, alice_chat: ChatSession, bob_chat: ChatSession
) -> None:
    ChatMessage.objects.create(
        chat=alice_chat, owner=alice, role="user", content="The lighthouse keeper's diary"
    )
    ChatMessage.objects.create(
        chat=bob_chat, owner=bob, role="user", content="Lighthouses of Brittany"
    )
    client, headers = _client(alice)
    by_text = client.get("/api/chats/search/", {"q": "lighthouses"}, headers=headers).json()
    assert [hit["chat"]["id"] for hit in by_text] == [alice_chat.pk]
    assert "lighthouse" in by_text[0]["message"]["content"]
    by_title = client.get("/api/chats/search/", {"q": "plans"}, headers=headers).json()
    assert [hit["chat"]["id"] for hit in by_title] == [alice_chat.pk]
    assert client.get("/api/chats/search/", {"q": "brittany"}, headers=headers).json() == []
    assert client.get("/api/chats/search/", {"q": ""}, headers=headers).status_code == 400


@pytest.mark.django_db
def test_feedback_is_set_changed_and_cleared(alice: User, alice_chat: ChatSession) -> None:
    reply = ChatMessage.objects.create(
        chat=alice_chat, owner=alice, role="assistant", content="ok", status="done"
    )
    client, headers = _client(alice)
    url = f"/api/chats/{alice_chat.pk}/messages/{reply.pk}/feedback/"
    up = _post(client, url, {"value": 1, "comment": "Spot on"}, headers)
    assert up.status_code == 200
    assert (up.json()["feedback"], up.json()["feedback_comment"]) == (1, "Spot on")
    assert _post(client, url, {"value": -1}, headers).json()["feedback"] == -1
    cleared = _post(client, url, {"value": None}, headers).json()
    assert (cleared["feedback"], cleared["feedback_comment"]) == (None, "")
    assert _post(client, url, {"value": 5}, headers).status_code == 400


@pytest.mark.django_db
def test_export_as_markdown_and_json_attachments(alice: User, alice_chat: ChatSession) -> None:
    add_message(alice_chat, "user", "Question?")
    add_message(alice_chat, "assistant", "**Answer**")
    client, headers = _client(alice)
    markdown = client.get(
        f"/api/chats/{alice_chat.pk}/export/", {"type": "markdown"}, headers=headers
    )
    assert markdown.status_code == 200
    assert markdown["Content-Disposition"].startswith("attachment;")
    text = markdown.content.decode()
    assert "# Alice's plans" in text
    assert "Question?" in text
    assert "**Answer**" in text
    exported = client.get(f"/api/chats/{alice_chat.pk}/export/", {"type": "json"}, headers=headers)
    assert [m["content"] for m in json.loads(exported.content)["messages"]] == [
        "Question?",
        "**Answer**",
    ]
    assert (
        client.get(
            f"/api/chats/{alice_chat.pk}/export/", {"type": "pdf"}, headers=headers
        ).status_code
        == 400
    )


def test_the_reply_is_written_and_saved_by_a_worker(alice: User, worker: None) -> None:
    chat = ChatSession.objects.create(owner=alice)
    client, headers = _client(alice)
    posted = _send(client, headers, chat, "Hello AI").json()
    reply = wait_for_reply(alice, posted["reply"]["id"])
    assert reply.status == "done"
    assert reply.model_name == "builtin"
    assert "Hello" in reply.content
    assert reply.completion_tokens
    fetched = client.get(f"/api/chats/{chat.pk}/messages/{reply.pk}/", headers=headers).json()
    assert fetched["content"] == reply.content
    assert "<p>" in fetched["html"]


def test_stop_ends_a_streaming_reply_and_keeps_what_was_written(
    alice: User, settings: Any, worker: None
) -> None:
    settings.ONYX_BUILTIN_WORD_DELAY = 0.05
    chat = ChatSession.objects.create(owner=alice)
    client, headers = _client(alice)
    reply_id = _send(client, headers, chat, "Tell me about tides").json()["reply"]["id"]
    streaming = _wait_for_text(client, headers, chat, reply_id)
    assert streaming["status"] == "streaming"
    stopped = _post(client, f"/api/chats/{chat.pk}/messages/{reply_id}/stop/", None, headers)
    assert stopped.status_code == 202
    reply = wait_for_reply(alice, reply_id)
    assert reply.status == "stopped"
    assert reply.content.startswith(streaming["content"])
    assert 0 < len(reply.content) < len(_full_builtin_answer(alice))


def _wait_for_text(
    client: Client, headers: dict[str, str], chat: ChatSession, reply_id: int
) -> dict[str, Any]:
    def message_with_text() -> dict[str, Any] | None:
        path = f"/api/chats/{chat.pk}/messages/{reply_id}/"
        message: dict[str, Any] = client.get(path, headers=headers).json()
        return message if message["content"] else None

    return wait_until(message_with_text, what="the reply to start")


def _full_builtin_answer(user: User) -> str:
    import asyncio

    from chats.providers.base import PromptMessage, ReplyStats
    from chats.providers.builtin import BuiltinProvider

    async def collect() -> str:
        chunks = [
            c
            async for c in BuiltinProvider().stream_reply(
                [PromptMessage(role="user", content="Tell me about tides")], stats=ReplyStats()
            )
        ]
        return "".join(chunks)

    from django.test import override_settings

    with override_settings(ONYX_BUILTIN_WORD_DELAY=0):
        return asyncio.run(collect())


def test_regenerate_keeps_the_earlier_reply_as_a_sibling(alice: User, worker: None) -> None:
    chat = ChatSession.objects.create(owner=alice)
    client, headers = _client(alice)
    posted = _send(client, headers, chat, "Hello AI").json()
    first_id = posted["reply"]["id"]
    wait_for_reply(alice, first_id)
    regenerated = _post(
        client, f"/api/chats/{chat.pk}/messages/{first_id}/regenerate/", None, headers
    )
    assert regenerated.status_code == 201
    new_id = regenerated.json()["id"]
    assert regenerated.json()["parent_id"] == posted["user_message"]["id"]
    assert regenerated.json()["sibling_ids"] == [first_id, new_id]
    assert wait_for_reply(alice, new_id).status == "done"
    first = ChatMessage.objects.for_user(alice).get(pk=first_id)
    assert first.content  # kept, not overwritten
    shown = client.get(f"/api/chats/{chat.pk}/messages/", headers=headers).json()["results"]
    assert [m["id"] for m in shown] == [new_id, posted["user_message"]["id"]]
    assert (shown[0]["sibling_index"], shown[0]["sibling_count"]) == (1, 2)
    earlier = client.get(f"/api/chats/{chat.pk}/messages/{first_id}/", headers=headers).json()
    assert earlier["sibling_ids"] == [first_id, new_id]
    assert earlier["sibling_index"] == 0


@pytest.mark.django_db
def test_a_reply_still_running_cannot_be_regenerated(alice: User, alice_chat: ChatSession) -> None:
    add_message(alice_chat, "user", "q")
    reply = add_message(alice_chat, "assistant", "", status="streaming")
    client, headers = _client(alice)
    response = _post(
        client, f"/api/chats/{alice_chat.pk}/messages/{reply.pk}/regenerate/", None, headers
    )
    assert response.status_code == 409
    assert "still being written in this chat" in response.json()["detail"]


def _quiet_for_minutes(user: User, reply_id: int) -> None:
    """As a reply looks whose writer has not checkpointed it for a long while."""
    ChatMessage.objects.for_user(user).filter(pk=reply_id).update(
        updated_at=timezone.now() - timedelta(minutes=5)
    )


def _text_so_far_in_redis(user: User, reply_id: int, text: str) -> None:
    live_state.store_event(
        user.pk,
        {"type": "message.delta", "message_id": reply_id, "delta": text},
        live_state.ReplyText(reply_id, append=text),
    )


def _listed(client: Client, headers: dict[str, str], chat: ChatSession, reply_id: int) -> Any:
    listed = client.get(f"/api/chats/{chat.pk}/messages/", headers=headers).json()["results"]
    return next(m for m in listed if m["id"] == reply_id)


@pytest.mark.django_db
def test_a_reply_no_job_will_finish_is_marked_failed_and_keeps_its_text(
    alice: User, alice_chat: ChatSession
) -> None:
    add_message(alice_chat, "user", "q")
    # No job in the queue for it (say an operator deleted it), and nobody holds its lease.
    reply = add_message(alice_chat, "assistant", "", status="streaming")
    _text_so_far_in_redis(alice, reply.pk, "Half an answ")
    _quiet_for_minutes(alice, reply.pk)
    client, headers = _client(alice)
    recovered = _listed(client, headers, alice_chat, reply.pk)
    assert recovered["status"] == "failed"
    assert "interrupted" in recovered["error"]
    assert recovered["content"] == "Half an answ"


@pytest.mark.django_db
def test_the_lease_alone_keeps_a_reply_being_written_from_being_taken_for_stalled(
    alice: User, alice_chat: ChatSession
) -> None:
    client, headers = _client(alice)
    add_message(alice_chat, "user", "Erzähl mir von den Gezeiten 🌊")
    reply = add_message(alice_chat, "assistant", "", status="streaming")
    queue_reply(reply)
    # Its job is gone (an operator deleted it) while its writer is still at it: the writer
    # holds the lease, and has not checkpointed for a long while.
    ProcrastinateJob.objects.filter(pk=reply.job_id).delete()
    async_to_sync(live_state.atake_over)(reply.pk)
    _text_so_far_in_redis(alice, reply.pk, "Die Gezeiten — 潮汐 🌊 entstehen")
    _quiet_for_minutes(alice, reply.pk)
    assert _listed(client, headers, alice_chat, reply.pk)["status"] == "streaming"
    sent = _send(client, headers, alice_chat, "Und dann?")
    assert sent.status_code == 409  # still being written: not recovered to make room

    # The writer is gone (its lease ran out): now nothing will finish it.
    live_state.redis_client().delete(live_state._lease_key(reply.pk))
    recovered = _listed(client, headers, alice_chat, reply.pk)
    assert (recovered["status"], recovered["content"]) == (
        "failed",
        "Die Gezeiten — 潮汐 🌊 entstehen",
    )


def test_a_reply_whose_job_is_queued_is_not_taken_for_stalled_before_a_worker_takes_it(
    alice: User, transactional_db: None
) -> None:
    chat = ChatSession.objects.create(owner=alice)
    client, headers = _client(alice)
    reply_id = _send(client, headers, chat, "Tell me about tides 🌊").json()["reply"]["id"]
    # No worker yet, so no writer and no lease; only its queued job says it will be written.
    _quiet_for_minutes(alice, reply_id)
    assert not live_state.has_lease(reply_id)
    assert _listed(client, headers, chat, reply_id)["status"] == "pending"
    with worker_thread():
        assert wait_for_reply(alice, reply_id).status == "done"


@pytest.mark.django_db
def test_odd_search_text_is_never_a_server_error(alice: User, alice_chat: ChatSession) -> None:
    client, headers = _client(alice)
    for text in ("\x00", "a\x00b", "&|!:*()", "'\"", "x" * 200):
        response = client.get("/api/chats/search/", {"q": text}, headers=headers)
        assert response.status_code == 200, (text, response.status_code)
    assert sign_in(alice).get("/chats/", {"q": "\x00"}).status_code == 200


@pytest.mark.django_db
def test_renaming_a_chat_keeps_a_message_sent_meanwhile_shown(alice: User) -> None:
    from chats import services

    chat = make_chat(owner=alice, title="Alt", messages=2)
    as_read_by_the_rename = ChatSession.objects.for_user(alice).get(pk=chat.pk)
    newer = add_message(chat, "user", "Noch eine Frage ❓")  # sent while the rename was on its way
    services.update_chat(chat=as_read_by_the_rename, title="Neu 新しい")
    chat.refresh_from_db()
    assert (chat.title, chat.active_leaf_id) == ("Neu 新しい", newer.pk)


@pytest.mark.django_db
def test_a_chat_deleted_while_it_is_renamed_stays_deleted(alice: User) -> None:
    from chats import services

    chat = make_chat(owner=alice, title="Alt", messages=2)
    as_read_by_the_rename = ChatSession.objects.for_user(alice).get(pk=chat.pk)
    services.delete_chat(chat=chat)
    with pytest.raises(ChatSession.DoesNotExist):
        services.update_chat(chat=as_read_by_the_rename, title="Neu")
    assert not ChatSession.objects.for_user(alice).exists()
