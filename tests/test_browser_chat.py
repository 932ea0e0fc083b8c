"""Chatting as a person does: Debian's Chromium, a real ASGI server, the built-in model."""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import APIResponse, Page, Route, WebSocketRoute, expect

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from tests.browser_helpers import screenshot, sign_in_page
from tests.conftest import DESKTOP, PASSWORD, PHONE, at_desktop_and_dark_phone
from tests.factories import add_message, make_chat
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OpenPage = Callable[..., Page]

STREAMED_TEXT = (
    "(id) => import(document.querySelector('script[src*=\"/chat.\"]').src)"
    ".then((chat) => chat.streamedText(id))"
)


def new_chat(page: Page) -> None:
    page.locator("[data-testid=new-chat]:visible").first.click()
    expect(page).to_have_url(re.compile(r"/chats/\d+/$"))
    # One selector for both, so the check cannot be answered by the page being left (whose
    # socket was open too): the new chat's modules have run.
    expect(page.locator("html[data-live=open] #chat")).to_be_attached()


def send(page: Page, text: str) -> None:
    page.fill("#composer textarea", text)
    page.keyboard.press("Enter")


@override_settings(ONYX_BUILTIN_WORD_DELAY=0.03)
def test_hello_ai_streams_to_both_tabs_and_survives_a_reload(
    base_url: str, open_page: OpenPage
) -> None:
    User.objects.create_user(email="alice@example.com", password=PASSWORD)
    first = open_page(viewport=PHONE, device_scale_factor=2, has_touch=True)
    sign_in_page(first, base_url, "alice@example.com")
    new_chat(first)
    second = open_page(context=first.context)  # a second tab of the same browser session
    second.goto(first.url)
    expect(second.locator("html")).to_have_attribute("data-live", "open")
    first.bring_to_front()  # a tab in the background gets no animation frames

    send(first, "Hello AI")
    reply = first.locator(".message.assistant").last
    expect(first.locator(".message.user .body")).to_have_text("Hello AI")
    # Streaming: formatted text appears before the reply is finished.
    expect(reply).to_have_attribute("data-status", "streaming", timeout=15_000)
    expect(reply.locator(".body p").first).not_to_be_empty()
    expect(first.locator("#typing")).to_be_visible()
    expect(first.locator("[data-role=stop]")).to_be_visible()
    expect(reply).to_have_attribute("data-status", "done", timeout=15_000)
    expect(reply.locator(".body p").first).to_contain_text("Hello")
    expect(first.locator("#typing")).to_be_hidden()
    expect(first.locator("[data-role=send]")).to_be_visible()
    final_html = reply.locator(".body").inner_html()

    expect(second.locator(".message.user .body")).to_have_text("Hello AI")
    expect(second.locator(".message.assistant")).to_have_attribute("data-status", "done")
    assert second.locator(".message.assistant .body").inner_html() == final_html
    # The first message names the chat, in the header and in every tab's chat list.
    expect(first.locator("[data-testid=chat-title]")).to_have_text("Hello AI")
    expect(second.locator("#chat-groups .chat-item.active .chat-name")).to_have_text("Hello AI")

    first.reload()
    expect(first.locator(".message")).to_have_count(2)
    assert first.locator(".message.assistant .body").inner_html() == final_html
    expect(first.locator(".message.assistant .meta")).to_contain_text("builtin")

    thumbs_up = first.locator(".message.assistant [data-action=feedback][data-value='1']")
    thumbs_up.click()
    expect(thumbs_up).to_have_attribute("aria-pressed", "true")
    first.reload()
    expect(thumbs_up).to_have_attribute("aria-pressed", "true")
    screenshot(first, "chat-phone")

    first.click("[data-action=open-drawer]")
    expect(first.locator("#sidebar")).to_be_in_viewport()
    first.click("[data-testid=logout]")
    expect(first).to_have_url(f"{base_url}/login/")
    expect(first.locator(".messages")).to_contain_text("You are signed out.")


@override_settings(ONYX_BUILTIN_WORD_DELAY=0.08)
def test_a_tab_opened_mid_reply_shows_everything_so_far(base_url: str, open_page: OpenPage) -> None:
    User.objects.create_user(email="alice@example.com", password=PASSWORD)
    first = open_page()
    sign_in_page(first, base_url, "alice@example.com")
    new_chat(first)
    first.fill("#composer textarea", "Tell me what you can do")
    first.click("#composer [data-role=send]")
    reply_id = first.locator(".message.assistant").get_attribute("data-message-id")
    # A few words are in.
    first.wait_for_function(f"({STREAMED_TEXT})({reply_id}).then((t) => /\\S+\\s+\\S+/.test(t))")

    late = open_page(context=first.context)
    late.goto(first.url)
    late_reply = late.locator(".message.assistant")
    samples = [late.evaluate(STREAMED_TEXT, reply_id) or ""]  # as the page was rendered
    expect(late.locator("html")).to_have_attribute("data-live", "open")

    def sampled_until_done() -> bool:
        if late_reply.get_attribute("data-status") == "done":
            return True
        samples.append(late.evaluate(STREAMED_TEXT, reply_id) or "")
        return False

    wait_until(sampled_until_done, what="the late tab's reply to finish")
    final = ChatMessage.objects.for_user(User.objects.get()).get(role="assistant").content
    # Every moment of the late tab's stream is a prefix of the final text: nothing the page
    # was rendered with is lost, and nothing is shown twice.
    assert samples[0]
    assert all(final.startswith(sample) for sample in samples)
    assert len({len(sample) for sample in samples}) > 2  # it really streamed on the late tab
    expect(first.locator(".message.assistant")).to_have_attribute("data-status", "done")


@override_settings(ONYX_BUILTIN_WORD_DELAY=0.2)
@at_desktop_and_dark_phone
def test_stop_in_the_composer_ends_the_reply(
    base_url: str, open_page: OpenPage, looks: dict[str, Any]
) -> None:
    User.objects.create_user(email="alice@example.com", password=PASSWORD)
    page = open_page(**looks)
    sign_in_page(page, base_url, "alice@example.com")
    new_chat(page)
    send(page, "What can you tell me about the weather?")
    reply = page.locator(".message.assistant")
    expect(reply).to_have_attribute("data-status", "streaming")
    page.click("[data-role=stop]")
    expect(reply).to_have_attribute("data-status", "stopped")
    expect(reply.locator(".note")).to_have_text("Stopped.")
    expect(page.locator("[data-role=stop]")).to_be_hidden()
    expect(page.locator("[data-role=send]")).to_be_visible()


def _long_chat(owner: User, turns: int) -> ChatSession:
    chat = make_chat(owner=owner, title="A long talk")
    answer = "\n\n".join(f"Paragraph {n} of an answer, with `code` and **bold**." for n in range(6))
    for n in range(turns):
        add_message(chat, "user", f"Question {n}?")
        add_message(
            chat, "assistant", f"{answer}\n\n```python\nprint({n})\n```", model_name="builtin"
        )
    return chat


@pytest.mark.parametrize(
    ("viewport", "name"), [(DESKTOP, "desktop"), (PHONE, "phone")], ids=["desktop", "phone"]
)
def test_nothing_is_covered_and_a_button_leads_back_to_the_latest(
    base_url: str, open_page: OpenPage, viewport: dict[str, int], name: str
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = _long_chat(alice, turns=6)
    page = open_page(viewport=viewport)
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    expect(page.locator("html")).to_have_attribute("data-live", "open")  # the page's code ran
    composer = page.locator(".composer-box").bounding_box()
    tools = page.locator(".message.assistant .tools").last.bounding_box()
    assert composer
    assert tools
    # The last reply's buttons are on screen, above the composer, not under it.
    assert tools["y"] + tools["height"] <= composer["y"]
    assert tools["y"] >= 0
    # Only the conversation scrolls: the header and the composer stay put.
    header_before = page.locator(".topbar").bounding_box()
    page.locator("#scroller").evaluate("(s) => s.scrollTo(0, 0)")
    expect(page.locator("#scroll-latest")).to_be_visible()
    assert page.locator(".topbar").bounding_box() == header_before
    assert page.locator(".composer-box").bounding_box() == composer
    page.click("#scroll-latest")
    expect(page.locator("#scroll-latest")).to_be_hidden()
    expect(page.locator(".message.assistant .tools").last).to_be_in_viewport()

    # The composer grows with the text, up to a limit, and never covers the history either.
    one_line = page.locator("#composer textarea").bounding_box()
    page.fill("#composer textarea", "line\n" * 4)
    four_lines = page.locator("#composer textarea").bounding_box()
    page.fill("#composer textarea", "line\n" * 60)
    many_lines = page.locator("#composer textarea").bounding_box()
    assert one_line
    assert four_lines
    assert many_lines
    assert one_line["height"] < four_lines["height"] < many_lines["height"] <= 200
    page.fill("#composer textarea", "")
    if name == "desktop":
        screenshot(page, "chat-desktop")


@at_desktop_and_dark_phone
def test_every_code_block_has_a_copy_button(
    base_url: str, open_page: OpenPage, looks: dict[str, Any]
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = make_chat(owner=alice, title="Code")
    add_message(chat, "user", "Code?")
    add_message(
        chat,
        "assistant",
        "```python\nprint('héllo 世界')\n```\n\n- in a list:\n\n  ```\n  plain <b>text</b>\n  ```",
    )
    page = open_page(permissions=["clipboard-read", "clipboard-write"], **looks)
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    blocks = page.locator(".message.assistant .code-block")
    expect(blocks).to_have_count(2)
    expect(blocks.first.locator(".code-head")).to_contain_text("python")
    expect(blocks.first.locator("code .hljs-built_in, code .hljs-string").first).to_be_visible()
    # Every tool is an icon with a name for screen readers, not a word or a character.
    tools = page.locator("main .icon-button:visible").evaluate_all(
        """(buttons) => buttons.map((b) => ({
             name: b.getAttribute("aria-label"), svg: b.querySelectorAll("svg").length,
             text: b.innerText.trim() }))"""
    )
    names = {tool["name"] for tool in tools}
    assert {"Copy", "Edit", "Regenerate", "Good reply", "Bad reply", "Copy code"} <= names, names
    assert all(tool["svg"] == 1 and tool["text"] == "" for tool in tools), tools
    blocks.nth(1).locator("[data-action=copy-code]").click()
    assert page.evaluate("navigator.clipboard.readText()") == "plain <b>text</b>\n"
    blocks.first.locator("[data-action=copy-code]").click()
    expect(blocks.first.locator("[data-action=copy-code]")).to_have_attribute(
        "aria-label", "Copied"
    )
    assert page.evaluate("navigator.clipboard.readText()") == "print('héllo 世界')\n"
    copy_reply = page.locator(".message.assistant [data-action=copy]")
    copy_reply.click()
    expect(copy_reply).to_have_attribute("aria-label", "Copied")
    assert page.evaluate("navigator.clipboard.readText()").startswith("```python\n")


@at_desktop_and_dark_phone
def test_a_chat_deleted_in_another_tab_says_so_and_offers_a_way_back(
    base_url: str, open_page: OpenPage, looks: dict[str, Any]
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = ChatSession.objects.create(owner=alice, title="Doomed")
    page = open_page(**looks)
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    other = open_page(context=page.context)
    other.goto(page.url)
    expect(other.locator("html")).to_have_attribute("data-live", "open")
    page.bring_to_front()

    page.click(".topbar .chat-actions summary")
    page.click(".topbar [data-action=delete-chat]")
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("“Doomed” and all its messages are deleted for good.")
    dialog.locator("[data-role=confirm]").click()
    expect(page).to_have_url(f"{base_url}/chats/")
    assert not ChatSession.objects.for_user(alice).exists()

    notice = other.locator("[data-testid=chat-deleted]")
    expect(notice).to_be_visible()
    expect(other.locator("[data-testid=chat-title]")).to_have_text("Chat deleted")
    expect(other.locator("#chat-groups .chat-item")).to_have_count(0)
    notice.get_by_role("button", name="Start a new chat").click()
    expect(other).to_have_url(re.compile(r"/chats/\d+/$"))


@override_settings(ONYX_SEND_RATE_PER_MINUTE=1)
@at_desktop_and_dark_phone
def test_a_rate_limit_is_said_once(
    base_url: str, open_page: OpenPage, looks: dict[str, Any]
) -> None:
    User.objects.create_user(email="alice@example.com", password=PASSWORD)
    # The browser itself logs the refused request; the page says it once.
    page = open_page(expected_errors=["status of 429"], **looks)
    sign_in_page(page, base_url, "alice@example.com")
    new_chat(page)
    send(page, "Hello")
    expect(page.locator(".message.assistant")).to_have_attribute("data-status", "done")
    send(page, "Hello again")
    error = page.locator("[data-role=composer-error]")
    expect(error).to_have_text(
        re.compile(r"^You are sending messages too quickly\. Try again in \d+ s\.")
    )
    expect(page.get_by_text("You are sending messages too quickly")).to_have_count(1)
    expect(page.locator("#composer textarea")).to_have_value("Hello again")  # nothing is lost


class HeldSocketEvents:
    """What the server sends on the page's socket goes through here, so it can be held back
    (while `holding`) and delivered later, in order."""

    def __init__(self, page: Page) -> None:
        self.holding = False
        self._held: list[str | bytes] = []
        self._sockets: list[WebSocketRoute] = []
        page.route_web_socket(re.compile(r"/ws/"), self._through)

    def _through(self, socket: WebSocketRoute) -> None:
        server = socket.connect_to_server()
        self._sockets.append(socket)
        server.on_message(lambda m: self._held.append(m) if self.holding else socket.send(m))

    def release(self) -> None:
        self.holding = False
        for message in self._held:
            self._sockets[-1].send(message)
        self._held.clear()


@override_settings(ONYX_BUILTIN_WORD_DELAY=0.05)
def test_a_bubble_fetched_before_its_reply_finished_does_not_undo_the_finish(
    base_url: str, open_page: OpenPage
) -> None:
    """When the POST's answer comes before its events, the page fetches the bubbles; if the
    reply finishes while that fetch is on its way, the older answer must not bring back the
    streaming bubble (it stayed 'streaming' until a reload)."""
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    page = open_page()
    events = HeldSocketEvents(page)
    # The page's fetch of the bubbles is answered now, delivered later.
    stale: list[tuple[Route, APIResponse]] = []
    page.route(re.compile(r"\?ids="), lambda route: stale.append((route, route.fetch())))
    sign_in_page(page, base_url, alice.email)
    new_chat(page)

    events.holding = True
    send(page, "Hello, 世界 👋")
    wait_until(lambda: (page.evaluate("0"), stale)[1], what="the page to fetch the bubbles")
    [(route, answer)] = stale
    assert 'data-status="pending"' in answer.text() or 'data-status="streaming"' in answer.text()
    wait_until(
        lambda: (
            ChatMessage.objects.for_user(alice).filter(role="assistant", status="done").exists()
        ),
        what="the reply to finish",
    )
    events.release()
    reply = page.locator(".message.assistant")
    expect(reply).to_have_attribute("data-status", "done")
    route.fulfill(response=answer)
    expect(page.locator("[data-role=send]")).to_be_enabled()  # send() has placed what it fetched
    expect(reply).to_have_attribute("data-status", "done")
    expect(reply.locator(".body")).to_contain_text("Hello!")


def test_a_posts_answer_before_its_events_waits_for_them_rather_than_fetching(
    base_url: str, open_page: OpenPage
) -> None:
    """The socket's events of a sent message held back until its POST has answered: the page
    shows them as they come, with no fetch of its own (under load, a CI run saw one)."""
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    page = open_page()
    events = HeldSocketEvents(page)
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    sign_in_page(page, base_url, alice.email)
    new_chat(page)

    events.holding = True
    with page.expect_response(re.compile(r"/api/chats/\d+/messages/$")) as posted:
        send(page, "Grüß dich, 世界 👋")
    assert posted.value.status == 201
    events.release()
    expect(page.locator(".message.user .body")).to_have_text("Grüß dich, 世界 👋")
    expect(page.locator(".message.assistant")).to_have_attribute("data-status", "done")
    expect(page.locator("[data-role=send]")).to_be_enabled()  # send() is over
    assert [url for url in fetched if "?ids=" in url] == []


def test_regenerate_writes_a_new_reply_in_place(base_url: str, open_page: OpenPage) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    page = open_page()
    sign_in_page(page, base_url, alice.email)
    new_chat(page)
    send(page, "Hello, 世界 👋")
    first = page.locator(".message.assistant")
    expect(first).to_have_attribute("data-status", "done")
    first_id = first.get_attribute("data-message-id")
    first.locator("[data-action=regenerate]").click()
    replies = page.locator(".message.assistant")
    expect(replies).to_have_count(1)
    expect(replies).not_to_have_attribute("data-message-id", first_id or "")
    expect(replies).to_have_attribute("data-status", "done")
    expect(replies.locator(".body")).to_contain_text("Hello!")
    # The earlier reply is kept, as version 1 of 2.
    expect(replies.locator("[data-role=version-position]")).to_have_text("2/2")
    page.reload()
    expect(page.locator(".message")).to_have_count(2)
    assert ChatMessage.objects.for_user(alice).filter(role="assistant").count() == 2
    page.locator(".message.assistant").get_by_role("button", name="Previous version").click()
    expect(page.locator(".message.assistant")).to_have_attribute("data-message-id", first_id or "")
