"""Streaming as tabs see it, in Debian's Chromium: any text exactly, a burst of messages with
nothing lost (also when the channel layer drops events), and a finished state after a restart."""

import json
import logging
import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocket, expect

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from chats.providers.builtin import NO_MODEL_REPLY
from onyx_site import events, live_state
from tests.browser_helpers import off_the_browsers_thread, sign_in_page
from tests.conftest import PASSWORD, WorkerProcesses, bearer, server_tokens
from tests.fake_openai_server import FakeOpenAIServer, Script
from tests.live_socket import LiveSocket
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Accents, CJK, a combining mark (e + U+0301), astral emoji, and a family emoji whose ZWJ
# sequence is cut across chunks: every piece a separate chunk of the model's stream.
UNICODE_CHUNKS = (
    "Café ",
    "crème brûlée — ",
    "Zürich, ",
    "東京",
    "は",
    "晴れ。 ",
    "e",
    "\u0301",
    " 🙂",
    " 👩\u200d",
    "👩\u200d",
    "👧",
    " «fin» ",
) * 6
# A tab catching up on a message it missed: the API's message, or the page's own bubbles.
MESSAGE_FETCH = re.compile(r"/api/chats/\d+/messages/\d+/$|/chats/\d+/messages/\?ids=")


@pytest.fixture
def alice(db: None) -> User:
    return User.objects.create_user(email="alice@example.com", password=PASSWORD)


def _open_chat_in_two_tabs(
    browser: Browser, base_url: str, alice: User
) -> tuple[BrowserContext, ChatSession, list[Page]]:
    chat = ChatSession.objects.create(owner=alice, title="Streaming")
    context = browser.new_context(timezone_id="UTC")
    first = context.new_page()
    sign_in_page(first, base_url, alice.email)
    tabs = [first, context.new_page()]
    for tab in tabs:
        tab.goto(f"{base_url}/chats/{chat.pk}/")
        expect(tab.locator("html")).to_have_attribute("data-live", "open")
        # Gone after a reload: proves at the end that the tab never reloaded.
        tab.evaluate("window.neverReloaded = true")
    return context, chat, tabs


def _message_fetches(tabs: list[Page]) -> list[str]:
    fetched: list[str] = []
    for tab in tabs:
        tab.on("request", lambda request: fetched.append(request.url))
    return fetched


# The text of the reply as the page holds it while it streams (the Markdown it renders).
STREAMED_TEXT = """() => {
  const reply = document.querySelector('.message.assistant[data-status=streaming]');
  if (!reply) return null;
  return import(document.querySelector('script[src*="/chat."]').src)
    .then((chat) => chat.streamedText(reply.dataset.messageId));
}"""


def _streaming_text(tab: Page) -> str | None:
    text: str | None = tab.evaluate(STREAMED_TEXT)
    return text


def test_any_text_streams_exactly_to_two_tabs_and_an_api_socket(
    base_url: str, browser: Browser, alice: User, fake_openai: FakeOpenAIServer
) -> None:
    script = Script(UNICODE_CHUNKS, pace=0.03)
    marker = fake_openai.script("unicode", script)
    context, _, tabs = _open_chat_in_two_tabs(browser, base_url, alice)
    requests = _message_fetches(tabs)
    api_socket = LiveSocket(base_url, server_tokens(base_url, alice)["access"])

    tabs[0].fill("#composer textarea", f"Écris-moi quelque chose {marker}")
    tabs[0].keyboard.press("Enter")
    samples: dict[int, list[str]] = {0: [], 1: []}

    def sampled_until_done() -> bool:
        for n, tab in enumerate(tabs):
            text = _streaming_text(tab)
            if text is not None:
                samples[n].append(text)
        statuses = [tab.locator(".message.assistant").get_attribute("data-status") for tab in tabs]
        return statuses == ["done", "done"]

    wait_until(sampled_until_done, timeout=30, what="both tabs to show the reply done")
    reply = ChatMessage.objects.for_user(alice).get(role="assistant")
    assert reply.content == script.text
    for n in (0, 1):
        assert all(script.text.startswith(sample) for sample in samples[n]), samples[n]
        assert len({len(sample) for sample in samples[n]}) > 3  # it streamed in this tab
        assert "👩\u200d👩\u200d👧" in tabs[n].locator(".message.assistant .body").inner_text()
        assert tabs[n].evaluate("window.neverReloaded") is True
    assert api_socket.wait_finished(reply.pk)["content"] == api_socket.text_of(reply.pk)
    assert api_socket.text_of(reply.pk) == script.text
    assert [url for url in requests if MESSAGE_FETCH.search(url)] == []
    api_socket.close()
    context.close()


def _send_burst(base_url: str, alice: User, chat: ChatSession, count: int) -> None:
    """Messages sent through the running server, one right after the other, as an API client."""
    headers = bearer(server_tokens(base_url, alice)["access"])
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api:
        for n in range(count):
            # One reply per chat is written at a time (a 409 until the last one is done): each
            # message goes the moment the chat takes it.
            def sent(n: int = n) -> bool:
                response = api.post(
                    f"/api/chats/{chat.pk}/messages/", json={"content": f"Message n°{n} ✓"}
                )
                assert response.status_code in (201, 409), response.text
                return response.status_code == 201

            wait_until(sent, timeout=30, what=f"message {n} to be taken")


def _shows_everything(tab: Page, count: int) -> None:
    expect(tab.locator(".message.user")).to_have_count(count, timeout=30_000)
    done = tab.locator(".message.assistant[data-status=done]")
    expect(done).to_have_count(count, timeout=30_000)
    assert tab.locator(".message.assistant .body").first.inner_text().startswith("No language")
    assert tab.evaluate("window.neverReloaded") is True


BURST = 50


def test_a_burst_of_messages_reaches_both_tabs_complete(
    base_url: str, browser: Browser, alice: User, settings: Any
) -> None:
    settings.ONYX_SEND_RATE_PER_MINUTE = 1000
    context, chat, tabs = _open_chat_in_two_tabs(browser, base_url, alice)
    _send_burst(base_url, alice, chat, BURST)
    for tab in tabs:
        _shows_everything(tab, BURST)
    context.close()


@pytest.fixture
def a_channel_layer_that_drops_every_event(settings: Any) -> None:
    """Every event lost on the way, made certain: channels-redis's list-based layer with room
    for no message (Pub/Sub, the layer we run, loses events only when Redis drops a subscriber
    or a process reconnects). A tab then sees no gap in seq at all: only asking the server's
    current seq (the page pings) reveals what it lost. (A gap the tab does see: the test after
    this one.)"""
    layers = json.loads(json.dumps(settings.CHANNEL_LAYERS))
    layers["default"]["BACKEND"] = "channels_redis.core.RedisChannelLayer"
    layers["default"]["CONFIG"]["capacity"] = 0
    settings.CHANNEL_LAYERS = layers  # channels builds a new layer on this change


def test_tabs_recover_events_the_channel_layer_dropped_without_a_reload(
    a_channel_layer_that_drops_every_event: None,
    base_url: str,
    browser: Browser,
    alice: User,
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="channels_redis.core")
    settings.ONYX_SEND_RATE_PER_MINUTE = 1000
    context, chat, tabs = _open_chat_in_two_tabs(browser, base_url, alice)
    replays: list[str] = []

    def watch(socket: WebSocket) -> None:
        def sent(payload: str | bytes) -> None:
            if '"replay"' in str(payload):
                replays.append(str(payload))

        socket.on("framesent", sent)

    for tab in tabs:
        tab.on("websocket", watch)
        tab.reload()  # the socket is watched from its opening
        expect(tab.locator("html")).to_have_attribute("data-live", "open")
        tab.evaluate("window.neverReloaded = true")
    _send_burst(base_url, alice, chat, 20)
    for tab in tabs:
        _shows_everything(tab, 20)
    assert any("over capacity" in record.getMessage() for record in caplog.records)
    assert replays  # the tabs saw gaps and asked the server's log for what they missed
    context.close()


def test_a_tab_that_sees_a_gap_in_seq_fetches_what_it_missed_from_the_log(
    base_url: str, browser: Browser, alice: User
) -> None:
    context, chat, tabs = _open_chat_in_two_tabs(browser, base_url, alice)
    renamed = {"type": "chat.updated", "chat": {"id": chat.pk, "title": "Verloren ✓ 迷子"}}

    def lose_one_then_send_one() -> None:
        live_state.store_event(alice.pk, renamed)  # logged, never sent: lost on the way
        events.publish(alice.pk, {"type": "notification", "text": "Après 🙂"})

    off_the_browsers_thread(lose_one_then_send_one)
    for tab in tabs:
        expect(tab.locator("[data-testid=chat-title]")).to_have_text("Verloren ✓ 迷子")
        assert tab.evaluate("window.neverReloaded") is True
    context.close()


@pytest.fixture
def browser_server_url(server_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    # Playwright's sync API keeps an event loop running in this thread (see conftest).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    return server_url


def test_a_reply_cut_by_a_killed_worker_ends_done_in_the_open_tab(
    browser_server_url: str, browser: Browser, alice: User, worker_processes: WorkerProcesses
) -> None:
    base_url = browser_server_url
    context, _, tabs = _open_chat_in_two_tabs(browser, base_url, alice)
    first = worker_processes.start("replies", ONYX_BUILTIN_WORD_DELAY="0.1")
    tabs[0].fill("#composer textarea", "Que sais-tu faire ?")
    tabs[0].keyboard.press("Enter")
    reply = tabs[0].locator(".message.assistant")
    expect(reply.locator(".body")).to_have_text(re.compile(r"\S+\s+\S+\s+\S+"))
    first.kill()
    reply_id = int(reply.get_attribute("data-message-id") or 0)
    assert live_state.reply_texts([reply_id])[reply_id] != NO_MODEL_REPLY

    worker_processes.start("replies", ONYX_BUILTIN_WORD_DELAY="0.01")
    for tab in tabs:
        expect(tab.locator(".message.assistant")).to_have_attribute(
            "data-status", "done", timeout=30_000
        )
        shown = tab.locator(".message.assistant .body").inner_text().strip()
        assert shown.startswith("No language model is connected to this server")
        assert shown.endswith(NO_MODEL_REPLY.rsplit(" ", 2)[-1])
        assert tab.locator("[data-status=streaming], [data-status=pending]").count() == 0
        assert tab.evaluate("window.neverReloaded") is True
    assert ChatMessage.objects.get(pk=reply_id).content == NO_MODEL_REPLY
    context.close()
