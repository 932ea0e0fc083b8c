"""The /ws/ socket: who may open it, and that it closes the moment its session ends."""

import functools
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts import session_registry
from chats import consumers
from chats.typing_throttle import TypingThrottle
from onyx_site import events, live_state
from onyx_site.asgi import application
from onyx_site.live_state import redis_client
from tests.conftest import api_tokens, bearer, make_user, sign_in
from tests.waiting import receive_events_until, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

HOST = (b"host", b"localhost:8000")
# The sweep that closes sockets whose session ended by itself waits this long: a socket closed
# within a test was closed by the session's own news, at once.
RECHECK_NEVER = 3600.0
ORIGIN = (b"origin", b"http://localhost:8000")


def _cookie_headers(
    client: Client, origin: tuple[bytes, bytes] = ORIGIN
) -> list[tuple[bytes, bytes]]:
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return [(b"cookie", cookie.encode()), HOST, origin]


async def _open(headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def _closed_with(communicator: WebsocketCommunicator, code: int) -> list[Any]:
    """Read until the close frame, however many events come first; return those events' text."""
    received = await receive_until(
        communicator, lambda message: message["type"] == "websocket.close", what="the close"
    )
    close = received.pop()
    assert close.get("code") == code
    return [message.get("text") for message in received]


async def test_an_anonymous_socket_is_closed_with_4401() -> None:
    communicator = await _open([HOST, ORIGIN])
    assert await _closed_with(communicator, 4401) == []


async def test_a_socket_with_a_garbage_token_is_closed_with_4401() -> None:
    communicator = await _open([(b"authorization", b"Bearer not-a-jwt")])
    await _closed_with(communicator, 4401)


async def test_a_browser_socket_opens_with_the_session_cookie() -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    client = await sync_to_async(sign_in)(alice)
    communicator = await _open(_cookie_headers(client))
    hello = await communicator.receive_json_from(timeout=5)
    assert (hello["type"], hello["user_id"]) == ("hello", alice.pk)
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong", "current_seq": 0}
    await communicator.disconnect()


async def test_an_event_published_from_sync_code_reaches_the_socket() -> None:
    # Sync code publishes on the Pub/Sub layer's own channel for the group, with the sync client.
    layer = get_channel_layer()
    group = events.user_group(7)
    assert events.pubsub_channel(group) == layer._get_layer()._get_group_channel_name(group)
    alice = await sync_to_async(make_user)("alice@example.com")
    client = await sync_to_async(sign_in)(alice)
    communicator = await _open(_cookie_headers(client))
    await communicator.receive_json_from(timeout=5)  # hello
    sent = {"type": "notification", "text": "Fertig — 完了 ✓ 🎉"}
    await sync_to_async(events.publish)(alice.pk, sent)
    assert await communicator.receive_json_from(timeout=5) == {**sent, "seq": 1}
    await communicator.disconnect()


@pytest.mark.parametrize(
    "origin",
    [
        b"https://evil.example",
        b"http://localhost:9000",  # another port of an allowed host: another site
        b"https://localhost:8000",  # another scheme
        b"http://localhost",
        b"http://localhost:8000.evil.example",
        b"null",
        b"",
    ],
)
async def test_a_cookie_socket_from_another_origin_is_refused(origin: bytes) -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    client = await sync_to_async(sign_in)(alice)
    communicator = WebsocketCommunicator(
        application, "/ws/", headers=_cookie_headers(client, (b"origin", origin))
    )
    connected, _ = await communicator.connect(timeout=5)
    assert not connected


async def test_a_trusted_origin_on_another_host_is_allowed(settings) -> None:
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.com"]
    alice = await sync_to_async(make_user)("alice@example.com")
    client = await sync_to_async(sign_in)(alice)
    communicator = WebsocketCommunicator(
        application,
        "/ws/",
        headers=_cookie_headers(client, (b"origin", b"https://chat.example.com")),
    )
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
    await communicator.disconnect()


async def test_an_api_client_socket_opens_with_a_bearer_token() -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    tokens = await sync_to_async(api_tokens)(Client(), alice)
    communicator = await _open([(b"authorization", f"Bearer {tokens['access']}".encode())])
    assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
    await communicator.disconnect()


async def test_revoking_the_session_closes_its_open_socket_with_4401(settings) -> None:
    settings.ONYX_WEBSOCKET_RECHECK_SECONDS = RECHECK_NEVER
    alice = await sync_to_async(make_user)("alice@example.com")
    browser = await sync_to_async(sign_in)(alice)
    tokens = await sync_to_async(api_tokens)(Client(), alice)
    communicator = await _open([(b"authorization", f"Bearer {tokens['access']}".encode())])
    await communicator.receive_json_from(timeout=5)
    sessions = await sync_to_async(session_registry.list_sessions)(alice.pk)
    api_sid = next(s.sid for s in sessions if s.kind == "api")
    response = await sync_to_async(browser.post)(f"/account/sessions/{api_sid}/revoke/")
    assert response.status_code == 302
    events = await _closed_with(communicator, 4401)
    assert any('"session.revoked"' in (event or "") for event in events)


async def test_logout_closes_the_browsers_socket(settings) -> None:
    settings.ONYX_WEBSOCKET_RECHECK_SECONDS = RECHECK_NEVER
    alice = await sync_to_async(make_user)("alice@example.com")
    browser = await sync_to_async(sign_in)(alice)
    communicator = await _open(_cookie_headers(browser))
    await communicator.receive_json_from(timeout=5)
    await sync_to_async(browser.post)("/logout/")
    await _closed_with(communicator, 4401)


async def test_a_socket_whose_session_vanishes_is_closed_within_seconds(settings) -> None:
    settings.ONYX_WEBSOCKET_RECHECK_SECONDS = 0.2
    alice = await sync_to_async(make_user)("alice@example.com")
    tokens = await sync_to_async(api_tokens)(Client(), alice)
    communicator = await _open([(b"authorization", f"Bearer {tokens['access']}".encode())])
    await communicator.receive_json_from(timeout=5)
    # The record disappears without any message: Redis flushed, key expired, evicted.
    await sync_to_async(redis_client().flushdb)()
    await _closed_with(communicator, 4401)


async def test_bobs_events_never_reach_alices_socket() -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    bob = await sync_to_async(make_user)("bob@example.com")
    alice_tokens = await sync_to_async(api_tokens)(Client(), alice)
    bob_browser = await sync_to_async(sign_in)(bob)
    communicator = await _open([(b"authorization", f"Bearer {alice_tokens['access']}".encode())])
    await communicator.receive_json_from(timeout=5)
    await sync_to_async(bob_browser.post)("/logout/")  # publishes to bob's session group only
    # A marker for alice, sent after bob's events: once it arrives, anything of bob's that
    # reached her socket would have arrived before it.
    await events.apublish(alice.pk, {"type": "notification", "text": "marker"})
    first = await communicator.receive_json_from(timeout=5)
    assert (first["type"], first["text"]) == ("notification", "marker")
    assert (
        await sync_to_async(Client().get)("/api/auth/me/", headers=bearer(alice_tokens["access"]))
    ).status_code == 200
    await communicator.disconnect()


ODD_FRAMES: list[dict[str, Any]] = [
    {"bytes": b"\x00\x01binary"},
    {"text": ""},
    {"text": "{not json"},
    {"text": "[" * 100_000},
    {"text": "[" * 4000},  # short enough to parse: nested too deep for json.loads
    {"text": '["a", "list"]'},
    {"text": '"just a string"'},
    {"text": "null"},
    {"text": '{"type": "typing", "chat_id": ' + "9" * 4000 + ', "on": true}'},
    {"text": '{"type": "typing", "chat_id": "not-an-int"}'},
    {"text": '{"type": "typing", "chat_id": true}'},
    {"text": '{"type": "typing", "chat_id": -5}'},
    {"text": '{"type": "replay", "after": "x"}'},
    {"text": '{"type": ["ping"]}'},
    {"text": '{"type": "nonsense 🙃"}'},
]


async def test_every_odd_frame_gets_an_error_event_and_the_socket_stays_open() -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    tokens = await sync_to_async(api_tokens)(Client(), alice)
    communicator = await _open([(b"authorization", f"Bearer {tokens['access']}".encode())])
    await communicator.receive_json_from(timeout=5)
    for frame in ODD_FRAMES:
        await communicator.send_input({"type": "websocket.receive", **frame})
        answer = await communicator.receive_json_from(timeout=5)
        assert answer["type"] == "error", frame
        assert answer["detail"]
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong", "current_seq": 0}
    await communicator.disconnect()


async def test_a_pong_tells_the_current_seq_so_a_tab_sees_it_lost_the_last_events() -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    tokens = await sync_to_async(api_tokens)(Client(), alice)
    communicator = await _open([(b"authorization", f"Bearer {tokens['access']}".encode())])
    assert (await communicator.receive_json_from(timeout=5))["seq"] == 0
    # Logged but never delivered, as when a full channel drops the last events of a burst.
    for n in range(3):
        await live_state.astore_event(alice.pk, {"type": "notification", "text": f"n°{n} ✓"})
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong", "current_seq": 3}
    await communicator.disconnect()


@pytest.fixture
def frozen_typing_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every socket's typing throttle sees one unmoving moment: however slow the machine, no
    interval passes while a test floods it, so what is relayed is exact."""
    monkeypatch.setattr(
        consumers, "TypingThrottle", functools.partial(TypingThrottle, clock=lambda: 1000.0)
    )


async def _typing_relayed_during(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Send these typing frames from one tab; the typing events another tab receives."""
    alice = await sync_to_async(make_user)("alice@example.com")
    tokens = await sync_to_async(api_tokens)(Client(), alice)
    headers = [(b"authorization", f"Bearer {tokens['access']}".encode())]
    sender, watcher = await _open(headers), await _open(headers)
    await sender.receive_json_from(timeout=5)
    await watcher.receive_json_from(timeout=5)
    for frame in frames:
        await sender.send_json_to(frame)
    await sender.send_json_to({"type": "ping"})
    pong = await sender.receive_json_from(timeout=30)  # all were handled
    assert pong["type"] == "pong"
    # A marker behind every relayed notice on the same channel: once it arrives, all did.
    await events.apublish(alice.pk, {"type": "notification", "text": "marker ✓"})
    seen = await receive_events_until(
        watcher, lambda event: event["type"] == "notification", what="the marker"
    )
    await sender.disconnect()
    await watcher.disconnect()
    assert seen[-1]["text"] == "marker ✓"
    return [event for event in seen if event["type"] == "typing"]


@pytest.mark.usefixtures("frozen_typing_clock")
async def test_a_burst_of_typing_frames_is_not_all_relayed() -> None:
    relayed = await _typing_relayed_during(
        [{"type": "typing", "chat_id": 1, "on": n % 2 == 0} for n in range(5000)]
    )
    assert [(e["chat_id"], e["on"]) for e in relayed] == [(1, True)]


@pytest.mark.usefixtures("frozen_typing_clock")
async def test_typing_frames_for_many_chats_are_not_all_relayed() -> None:
    relayed = await _typing_relayed_during(
        [{"type": "typing", "chat_id": n + 1, "on": True} for n in range(5000)]
    )
    per_interval = TypingThrottle().per_interval
    assert [e["chat_id"] for e in relayed] == list(range(1, per_interval + 1))
