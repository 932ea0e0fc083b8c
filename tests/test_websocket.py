"""The /ws/ socket: who may open it, and that it closes the moment its session ends."""

import asyncio
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts import session_registry
from onyx_site import live_state
from onyx_site.asgi import application
from onyx_site.live_state import redis_client
from tests.conftest import api_tokens, bearer, make_user, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")


def _cookie_headers(
    client: Client, origin: tuple[bytes, bytes] = ORIGIN
) -> list[tuple[bytes, bytes]]:
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return [(b"cookie", cookie.encode()), origin]


async def _open(headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def _closed_with(
    communicator: WebsocketCommunicator, code: int, wait: float = 5
) -> list[Any]:
    """Read until the close frame; return the JSON events seen before it."""
    seen: list[Any] = []
    while True:
        message = await communicator.receive_output(timeout=wait)
        if message["type"] == "websocket.close":
            assert message.get("code") == code
            return seen
        seen.append(message.get("text"))


async def test_an_anonymous_socket_is_closed_with_4401() -> None:
    communicator = await _open([ORIGIN])
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


async def test_a_cookie_socket_from_a_foreign_origin_is_refused() -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    client = await sync_to_async(sign_in)(alice)
    communicator = WebsocketCommunicator(
        application, "/ws/", headers=_cookie_headers(client, (b"origin", b"https://evil.example"))
    )
    connected, _ = await communicator.connect(timeout=5)
    assert not connected


async def test_an_api_client_socket_opens_with_a_bearer_token() -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    tokens = await sync_to_async(api_tokens)(Client(), alice)
    communicator = await _open([(b"authorization", f"Bearer {tokens['access']}".encode())])
    assert (await communicator.receive_json_from(timeout=5))["type"] == "hello"
    await communicator.disconnect()


async def test_revoking_the_session_closes_its_open_socket_with_4401() -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    browser = await sync_to_async(sign_in)(alice)
    tokens = await sync_to_async(api_tokens)(Client(), alice)
    communicator = await _open([(b"authorization", f"Bearer {tokens['access']}".encode())])
    await communicator.receive_json_from(timeout=5)
    sessions = await sync_to_async(session_registry.list_sessions)(alice.pk)
    api_sid = next(s.sid for s in sessions if s.kind == "api")
    response = await sync_to_async(browser.post)(f"/account/sessions/{api_sid}/revoke/")
    assert response.status_code == 302
    events = await _closed_with(communicator, 4401, wait=3)
    assert any('"session.revoked"' in (event or "") for event in events)


async def test_logout_closes_the_browsers_socket() -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    browser = await sync_to_async(sign_in)(alice)
    communicator = await _open(_cookie_headers(browser))
    await communicator.receive_json_from(timeout=5)
    await sync_to_async(browser.post)("/logout/")
    await _closed_with(communicator, 4401, wait=3)


async def test_a_socket_whose_session_vanishes_is_closed_within_seconds(settings) -> None:
    settings.ONYX_WEBSOCKET_RECHECK_SECONDS = 0.2
    alice = await sync_to_async(make_user)("alice@example.com")
    tokens = await sync_to_async(api_tokens)(Client(), alice)
    communicator = await _open([(b"authorization", f"Bearer {tokens['access']}".encode())])
    await communicator.receive_json_from(timeout=5)
    # The record disappears without any message: Redis flushed, key expired, evicted.
    await sync_to_async(redis_client().flushdb)()
    await _closed_with(communicator, 4401, wait=3)


async def test_bobs_events_never_reach_alices_socket() -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    bob = await sync_to_async(make_user)("bob@example.com")
    alice_tokens = await sync_to_async(api_tokens)(Client(), alice)
    bob_browser = await sync_to_async(sign_in)(bob)
    communicator = await _open([(b"authorization", f"Bearer {alice_tokens['access']}".encode())])
    await communicator.receive_json_from(timeout=5)
    await sync_to_async(bob_browser.post)("/logout/")  # publishes to bob's session group only
    assert await communicator.receive_nothing(timeout=0.5)
    assert (
        await sync_to_async(Client().get)("/api/auth/me/", headers=bearer(alice_tokens["access"]))
    ).status_code == 200
    await communicator.disconnect()
    await asyncio.sleep(0)


async def test_garbage_from_a_client_is_ignored_and_the_socket_stays_open() -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    tokens = await sync_to_async(api_tokens)(Client(), alice)
    communicator = await _open([(b"authorization", f"Bearer {tokens['access']}".encode())])
    await communicator.receive_json_from(timeout=5)
    await communicator.send_to(text_data="{not json")
    await communicator.send_to(text_data='["a", "list"]')
    await communicator.send_json_to({"type": "typing", "chat_id": "not-an-int"})
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
