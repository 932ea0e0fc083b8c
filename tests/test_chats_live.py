"""Replies stream live to every tab of their owner, and to nobody else; a reconnecting tab
misses nothing."""

import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import User
from chats.models import ChatSession
from onyx_site import events, live_state
from onyx_site.asgi import application
from tests.conftest import api_tokens, await_reply, bearer, make_user
from tests.waiting import await_until, receive_events_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("worker")]


async def _socket(access: str, query: str = "") -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application, f"/ws/{query}", headers=[(b"authorization", f"Bearer {access}".encode())]
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "hello"
    return communicator


async def _events_until(
    communicator: WebsocketCommunicator, kind: str, message_id: int
) -> list[dict[str, Any]]:
    return await receive_events_until(
        communicator,
        lambda event: event["type"] == kind and event.get("message", {}).get("id") == message_id,
        timeout=30,
        what=f"{kind} of message {message_id}",
    )


async def _events_in_seq_order(
    communicator: WebsocketCommunicator, *, after: int, until: tuple[str, int]
) -> list[dict[str, Any]]:
    """Every event after seq `after` up to the `until` (type, message id) event, each once and
    in seq order, as the page applies them: replayed events and live ones can interleave."""
    by_seq: dict[int, dict[str, Any]] = {}
    last = None

    def all_in(event: dict[str, Any]) -> bool:
        nonlocal last
        if "seq" in event and event["seq"] > after:  # typing notices carry no seq
            by_seq.setdefault(event["seq"], event)
            if (event["type"], event.get("message", {}).get("id")) == until:
                last = event["seq"]
        return last is not None and all(n in by_seq for n in range(after + 1, last + 1))

    await receive_events_until(communicator, all_in, timeout=30, what=f"every event up to {until}")
    assert last is not None
    return [by_seq[n] for n in range(after + 1, last + 1)]


def _streamed_text(seen: list[dict[str, Any]], message_id: int) -> str:
    text = ""
    for event in seen:
        if event["type"] == "message.delta" and event["message_id"] == message_id:
            assert event["offset"] == len(text)
            text += event["delta"]
    return text


async def _setup(email: str) -> tuple[User, str]:
    user = await sync_to_async(make_user)(email)
    tokens = await sync_to_async(api_tokens)(Client(), user)
    return user, tokens["access"]


async def _send(access: str, chat_id: int, content: str) -> dict[str, Any]:
    def post() -> Any:
        return Client().post(
            f"/api/chats/{chat_id}/messages/",
            json.dumps({"content": content}),
            content_type="application/json",
            headers=bearer(access),
        )

    response = await sync_to_async(post)()
    assert response.status_code == 201, response.content
    return dict(response.json())


async def test_both_tabs_of_alice_get_the_stream_and_bob_gets_nothing(settings) -> None:
    settings.ONYX_BUILTIN_WORD_DELAY = 0.01
    alice, alice_access = await _setup("alice@example.com")
    bob, bob_access = await _setup("bob@example.com")
    chat = await sync_to_async(ChatSession.objects.create)(owner=alice)
    laptop, phone = await _socket(alice_access), await _socket(alice_access)
    bob_tab = await _socket(bob_access)

    posted = await _send(alice_access, chat.pk, "Hello AI")
    reply_id = posted["reply"]["id"]
    for tab in (laptop, phone):
        seen = await _events_until(tab, "message.completed", reply_id)
        kinds = [event["type"] for event in seen]
        assert kinds.count("message.created") == 2
        assert "message.delta" in kinds
        assert {"type": "typing", "on": True}.items() <= next(
            e for e in seen if e["type"] == "typing"
        ).items()
        completed = seen[-1]["message"]
        assert completed["status"] == "done"
        assert _streamed_text(seen, reply_id) == completed["content"]
        assert "<p>" in completed["html"]
        seqs = [event["seq"] for event in seen]
        assert seqs == sorted(seqs)
    # A marker for bob, sent after every event of alice's reply: the first thing his tab gets.
    await events.apublish(bob.pk, {"type": "notification", "text": "marker"})
    first = await bob_tab.receive_json_from(timeout=5)
    assert (first["type"], first["text"]) == ("notification", "marker")
    for tab in (laptop, phone, bob_tab):
        await tab.disconnect()


async def test_a_reconnecting_tab_gets_exactly_what_it_missed() -> None:
    alice, access = await _setup("alice@example.com")
    chat = await sync_to_async(ChatSession.objects.create)(owner=alice)
    tab = await _socket(access)
    first = await _send(access, chat.pk, "Hello AI")
    seen = await _events_until(tab, "message.completed", first["reply"]["id"])
    last_seq = seen[-1]["seq"]
    await tab.disconnect()

    second = await _send(access, chat.pk, "Hello again")  # while the tab is away
    await await_reply(alice, second["reply"]["id"])
    back = await _socket(access, f"?last_seq={last_seq}")
    replayed = await _events_until(back, "message.completed", second["reply"]["id"])
    assert replayed[0]["seq"] == last_seq + 1
    assert [e["seq"] for e in replayed] == list(range(last_seq + 1, last_seq + 1 + len(replayed)))
    assert _streamed_text(replayed, second["reply"]["id"]) == replayed[-1]["message"]["content"]
    await back.disconnect()


async def test_a_tab_that_missed_too_much_is_told_to_reload(settings, monkeypatch) -> None:
    monkeypatch.setattr(live_state, "EVENT_LOG_LENGTH", 5)
    alice, access = await _setup("alice@example.com")
    chat = await sync_to_async(ChatSession.objects.create)(owner=alice)
    posted = await _send(access, chat.pk, "Hello AI")
    await await_reply(alice, posted["reply"]["id"])
    back = await _socket(access, "?last_seq=1")
    assert (await back.receive_json_from(timeout=5))["type"] == "resync"
    await back.disconnect()


async def test_the_text_so_far_is_served_mid_reply_with_nothing_missing_or_doubled(
    settings,
) -> None:
    settings.ONYX_BUILTIN_WORD_DELAY = 0.02
    alice, access = await _setup("alice@example.com")
    chat = await sync_to_async(ChatSession.objects.create)(owner=alice)
    reply_id = (await _send(access, chat.pk, "Tell me something"))["reply"]["id"]

    async def snapshot() -> tuple[str, int] | None:
        found = await sync_to_async(live_state.reply_snapshot)(alice.pk, reply_id)
        return found if found[0] else None

    # A tab opened now: it renders the text so far, then resumes the socket from that seq.
    text_so_far, seq = await await_until(snapshot, what="the first words of the reply")
    late_tab = await _socket(access, f"?last_seq={seq}")
    rest = await _events_in_seq_order(late_tab, after=seq, until=("message.completed", reply_id))
    text = text_so_far
    for event in rest:
        if event["type"] == "message.delta":
            assert event["offset"] == len(text)  # picks up exactly where the page left off
            text += event["delta"]
    assert text == rest[-1]["message"]["content"]
    await late_tab.disconnect()


async def test_a_failing_model_ends_the_reply_as_failed_with_a_reason(settings) -> None:
    settings.ONYX_LLM_BASE_URL = "http://127.0.0.1:9/v1"  # nothing listens on the discard port
    settings.ONYX_LLM_MODEL = "any"
    alice, access = await _setup("alice@example.com")
    chat = await sync_to_async(ChatSession.objects.create)(owner=alice)
    tab = await _socket(access)
    posted = await _send(access, chat.pk, "Hello AI")
    seen = await _events_until(tab, "message.failed", posted["reply"]["id"])
    failed = seen[-1]["message"]
    assert failed["status"] == "failed"
    assert "127.0.0.1:9" in failed["error"]
    user_message = posted["user_message"]
    assert any(
        e["type"] == "message.created" and e["message"]["id"] == user_message["id"] for e in seen
    )
    await tab.disconnect()


async def test_a_configured_model_answers_through_the_whole_path(fake_openai: Any) -> None:
    alice, access = await _setup("alice@example.com")
    chat = await sync_to_async(ChatSession.objects.create)(owner=alice)
    tab = await _socket(access)
    posted = await _send(access, chat.pk, "What is two plus two?")
    seen = await _events_until(tab, "message.completed", posted["reply"]["id"])
    completed = seen[-1]["message"]
    assert completed["content"] == "Echo: What is two plus two?"
    assert completed["model_name"] == "fake-model"
    assert (completed["prompt_tokens"], completed["completion_tokens"]) == (11, 7)
    sent = fake_openai.requests[0].body["messages"]
    assert sent[-1] == {"role": "user", "content": "What is two plus two?"}
    await tab.disconnect()
