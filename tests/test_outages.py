"""Redis or PostgreSQL stopped for real: a clear 503 ("temporarily unavailable") on pages and in
the API, sockets closed with 1013 (try again later), and everything back by itself once the
service is, without restarting the app. Throwaway servers, never the suite's own."""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis.exceptions
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest
from django.test import Client
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from tests import workers
from tests.conftest import (
    PASSWORD,
    WorkerProcesses,
    a_pages_security_headers,
    api_tokens,
    bearer,
    security_headers,
    wait_for_reply,
)
from tests.fake_openai_server import FakeOpenAIServer, Script
from tests.throwaway_services import (
    ThrowawayPostgres,
    ThrowawayRedis,
    api_access_token,
    browser_session,
    manage,
    scratch_directory,
    served_app,
)
from tests.waiting import wait_until

UNAVAILABLE = "The service is temporarily unavailable. Try again in a moment."


@pytest.fixture
def scratch() -> Iterator[Path]:
    with scratch_directory() as path:
        yield path


def _socket(url: str, access: str) -> ClientConnection:
    return connect(
        url.replace("http://", "ws://") + "/ws/",
        additional_headers={"Authorization": f"Bearer {access}"},
        proxy=None,
    )


def _close_code(socket: ClientConnection) -> int | None:
    """Read until the server closes the socket, however many events come first; its close code."""

    def closed() -> ConnectionClosed | None:
        try:
            socket.recv(timeout=0.2)
        except TimeoutError:
            return None
        except ConnectionClosed as error:
            return error
        return None  # an event: read on

    with socket:
        ended = wait_until(closed, timeout=30, what="the server to close the socket")
    return ended.rcvd.code if ended.rcvd else None


def _first_event_type(socket: ClientConnection) -> str:
    with socket:
        return str(json.loads(socket.recv(timeout=15))["type"])


def _assert_unavailable(url: str, browser: httpx.Client, access: str) -> None:
    page = browser.get("/chats/")
    assert page.status_code == 503
    assert UNAVAILABLE in page.text
    assert "Retry-After" in page.headers
    # Also without the marker cookie that remembers a sign-in: no silent trip to the login page.
    session_only = {"onyx_session": browser.cookies["onyx_session"]}
    bare = httpx.get(f"{url}/chats/", cookies=session_only, timeout=30)
    assert (bare.status_code, UNAVAILABLE in bare.text) == (503, True)
    api = httpx.get(f"{url}/api/chats/", headers={"Authorization": f"Bearer {access}"})
    assert (api.status_code, api.json()["detail"]) == (503, UNAVAILABLE)
    assert _close_code(_socket(url, access)) == 1013  # a new socket is told too


@pytest.mark.parametrize("path", ["/chats/", "/api/chats/"])
def test_a_503_carries_a_pages_security_headers(
    db: None, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    page = a_pages_security_headers()

    def out_of_reach(self: SessionMiddleware, request: HttpRequest) -> None:
        raise redis.exceptions.ConnectionError("Error 111 connecting to Redis.")

    # The first middleware that reaches Redis fails: ServiceOutageMiddleware answers.
    monkeypatch.setattr(SessionMiddleware, "process_request", out_of_reach)
    response = Client(raise_request_exception=False).get(path)
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert security_headers(response.headers) == page


@pytest.mark.django_db(transaction=True)
def test_redis_stopped_is_a_clear_503_and_all_recovers_by_itself(
    alice: User, scratch: Path
) -> None:
    redis = ThrowawayRedis(scratch)
    redis.start()
    try:
        with served_app(
            scratch,
            REDIS_URL=redis.url,
            DATABASE_URL=workers.test_database_url(),
            ONYX_WEBSOCKET_RECHECK_SECONDS="0.5",
        ) as url:
            browser = browser_session(url, alice.email, PASSWORD)
            access = api_access_token(url, alice.email, PASSWORD)
            with _socket(url, access) as open_socket:
                assert json.loads(open_socket.recv(timeout=15))["type"] == "hello"
                redis.stop()
                assert _close_code(open_socket) == 1013
            _assert_unavailable(url, browser, access)
            sign_in = httpx.post(
                f"{url}/api/auth/token/", json={"email": alice.email, "password": PASSWORD}
            )
            assert (sign_in.status_code, sign_in.json()["detail"]) == (503, UNAVAILABLE)

            redis.start()  # its append-only file kept the sessions: nobody is signed out
            wait_until(
                lambda: browser.get("/chats/").status_code == 200,
                what="the page to work again",
            )
            me = httpx.get(f"{url}/api/auth/me/", headers={"Authorization": f"Bearer {access}"})
            assert me.json()["email"] == alice.email
            # Live events flow again: the channel layer subscribed anew by itself.
            with _socket(url, access) as socket:
                assert json.loads(socket.recv(timeout=15))["type"] == "hello"
                title = "Zurück — 戻った ✓"
                created = httpx.post(
                    f"{url}/api/chats/",
                    json={"title": title},
                    headers={"Authorization": f"Bearer {access}"},
                )
                assert created.status_code == 201
                event = json.loads(socket.recv(timeout=15))
                assert (event["type"], event["chat"]["title"]) == ("chat.created", title)
    finally:
        redis.stop()


def test_postgres_stopped_is_a_503_and_recovers_without_a_restart(scratch: Path) -> None:
    postgres = ThrowawayPostgres(scratch)
    postgres.start()
    email = "operator@example.com"
    try:
        store = {"DATABASE_URL": postgres.url, "REDIS_URL": settings.REDIS_URL}
        manage("migrate", "--noinput", env=store)
        manage("ensure_admin", "--email", email, "--password", PASSWORD, env=store)
        # Waiting for a pooled connection is what a request does while PostgreSQL is down.
        with served_app(scratch, **store, DATABASE_POOL_TIMEOUT="2") as url:
            browser = browser_session(url, email, PASSWORD)
            access = api_access_token(url, email, PASSWORD)

            postgres.stop()
            _assert_unavailable(url, browser, access)

            postgres.start()
            headers = {"Authorization": f"Bearer {access}"}
            wait_until(
                lambda: httpx.get(f"{url}/api/auth/me/", headers=headers).status_code == 200,
                timeout=30,
                what="the API to work again",
            )
            # Every pooled connection that died with the server has been replaced.
            codes = [httpx.get(f"{url}/api/chats/", headers=headers).status_code for _ in range(12)]
            assert codes == [200] * 12
            assert browser.get("/chats/").status_code == 200
    finally:
        if postgres.running:
            postgres.stop()


# Accents, a combining accent, CJK, and a family emoji whose joiner falls between two chunks.
PIECES = ("Première étape — ", "東京の潮汐 ", "e\u0301té ", "👩\u200d👩", "\u200d👧 ", "naïve 🌊 ")
LONG_REPLY = Script(tuple(f"{piece}{n} " for n in range(12) for piece in PIECES), pace=0.1)


def _checkpointed_while_streaming(user: User, reply_id: int) -> str | None:
    reply = ChatMessage.objects.for_user(user).get(pk=reply_id)
    streaming = reply.status == ChatMessage.Status.STREAMING
    return reply.content if streaming and reply.content else None


def _stored_text(user: User, reply_id: int) -> str:
    return ChatMessage.objects.for_user(user).get(pk=reply_id).content


@pytest.mark.django_db(transaction=True)
def test_a_reply_streaming_when_redis_stops_keeps_the_text_checkpointed_to_postgresql(
    alice: User,
    alice_chat: ChatSession,
    scratch: Path,
    fake_openai: FakeOpenAIServer,
    worker_processes: WorkerProcesses,
) -> None:
    redis = ThrowawayRedis(scratch)
    redis.start()
    try:
        worker_processes.start(
            "replies",
            REDIS_URL=redis.url,
            ONYX_REPLY_CHECKPOINT_SECONDS="0.3",
            ONYX_LLM_BASE_URL=fake_openai.base_url,
            ONYX_LLM_MODEL="fake-model",
        )
        marker = fake_openai.script("long-reply", LONG_REPLY)
        sent = Client().post(
            f"/api/chats/{alice_chat.pk}/messages/",
            json.dumps({"content": f"Erzähl mir alles {marker}"}),
            content_type="application/json",
            headers=bearer(api_tokens(Client(), alice)["access"]),
        )
        assert sent.status_code == 201, sent.content
        reply_id = sent.json()["reply"]["id"]
        # Redis holds the text as it streams; PostgreSQL has had a checkpoint of it.
        checkpointed = wait_until(
            lambda: _checkpointed_while_streaming(alice, reply_id),
            what="a checkpoint of the streaming reply in PostgreSQL",
        )
        assert LONG_REPLY.text.startswith(checkpointed)

        redis.stop()
        # The model's stream is over, one way or another: the worker has noticed the outage.
        wait_until(
            lambda: fake_openai.closed_early.is_set() or fake_openai.finished.is_set(),
            timeout=30,
            what="the model's stream to end",
        )
        during_outage = _stored_text(alice, reply_id)
        assert during_outage.startswith(checkpointed)  # nothing stored was lost
        assert LONG_REPLY.text.startswith(during_outage)  # nor garbled

        redis.start()
        reply = wait_for_reply(alice, reply_id, timeout=30)
        assert reply.status in (ChatMessage.Status.DONE, ChatMessage.Status.FAILED)
        assert reply.content.startswith(checkpointed)
        assert LONG_REPLY.text.startswith(reply.content)
        if reply.status == ChatMessage.Status.FAILED:
            assert reply.error
    finally:
        redis.stop()
