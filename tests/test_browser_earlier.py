"""Earlier messages in Chromium: scrolling up through a long chat brings them in, page after
page, without moving what the reader was looking at."""

from collections.abc import Callable

import httpx
import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from chats.views import HISTORY_ON_PAGE
from tests.browser_helpers import sign_in_page
from tests.conftest import DESKTOP, PASSWORD, bearer, server_tokens
from tests.factories import add_message, add_turns, make_chat
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OpenPage = Callable[..., Page]

SHOWN_IDS = "() => [...document.querySelectorAll('#history article.message')].map((m) => m.id)"
# Where a message is, relative to the top of the scrolling history.
TOP_IN_SCROLLER = """(id) => {
  const scroller = document.getElementById("scroller").getBoundingClientRect();
  return document.getElementById(id).getBoundingClientRect().top - scroller.top;
}"""
# Scrolls to the top and says where the message is then, in one go: before the page can
# answer the scrolling.
SCROLL_UP_FROM = f"""(id) => {{
  document.getElementById("scroller").scrollTo(0, 0);
  return ({TOP_IN_SCROLLER})(id);
}}"""


QUESTION = "Question {n} : où étions-nous ? 京都 🏯"
ANSWER = "Réponse {n} — à **Kyoto**, près du café.\n\n- 金閣寺\n- Ginkaku-ji ✨"


def _wait_for_more_than(page: Page, count: int) -> None:
    def more() -> bool:
        return len(page.evaluate(SHOWN_IDS)) > count

    wait_until(more, what=f"more than {count} messages, the earlier ones coming in")


def test_scrolling_up_brings_every_earlier_message_in_order_and_keeps_the_place(
    base_url: str, open_page: OpenPage
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = make_chat(owner=alice, title="Souvenirs 思い出 📚")
    messages = add_turns(chat, 60, question=QUESTION, answer=ANSWER)
    page = open_page(viewport=DESKTOP)
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    expect(page.locator(f"#message-{messages[-1].pk}")).to_be_in_viewport()
    expect(page.locator("#history article.message")).not_to_have_count(len(messages))
    expect(page.locator(f"#message-{messages[0].pk}")).to_have_count(0)
    link = page.locator("[data-role=earlier] a")
    expect(link).to_have_text("Show earlier messages")

    for _ in range(len(messages) // HISTORY_ON_PAGE + 1):
        if page.locator("[data-role=earlier]").count() == 0:
            break
        shown = page.evaluate(SHOWN_IDS)
        oldest = shown[0]
        top = page.evaluate(SCROLL_UP_FROM, oldest)
        # The page above comes in, and the message read last stays where it was on screen.
        _wait_for_more_than(page, len(shown))
        expect(page.locator(f"#{oldest}")).to_be_in_viewport()
        assert abs(page.evaluate(TOP_IN_SCROLLER, oldest) - top) <= 2
        assert page.evaluate(SHOWN_IDS)[-len(shown) :] == shown

    expect(page.locator("[data-role=earlier]")).to_have_count(0)
    # All of them, once each, in the order of the conversation.
    assert page.evaluate(SHOWN_IDS) == [f"message-{m.pk}" for m in messages]
    first = page.locator(f"#message-{messages[0].pk}")
    expect(first.locator(".body")).to_have_text("Question 0 : où étions-nous ? 京都 🏯")
    # Earlier replies are rendered as the newest are: Markdown, with their tools.
    second = page.locator(f"#message-{messages[1].pk}")
    expect(second.locator(".body strong")).to_have_text("Kyoto")
    expect(second.locator("[data-action=regenerate]")).to_be_attached()


def _scroll_up_to_the_start(page: Page, count: int) -> None:
    for _ in range(count // HISTORY_ON_PAGE + 1):
        if page.locator("[data-role=earlier]").count() == 0:
            return
        shown = len(page.evaluate(SHOWN_IDS))
        page.locator("#scroller").evaluate("(s) => s.scrollTo(0, 0)")
        _wait_for_more_than(page, shown)
    expect(page.locator("[data-role=earlier]")).to_have_count(0)


def test_earlier_messages_follow_the_version_shown(base_url: str, open_page: OpenPage) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = make_chat(owner=alice, title="Deux chemins 二つの道 🌿")
    start = add_turns(chat, 2, question=QUESTION, answer=ANSWER)
    # Another version of the third message, with a long branch of its own …
    other = [add_message(chat, "user", "Autre question ? 🌿", parent=start[-1])]
    other += [
        add_message(chat, "assistant" if n % 2 == 0 else "user", f"Autre {n} 別の道")
        for n in range(HISTORY_ON_PAGE + 9)
    ]
    # … and the branch shown, longer still.
    shown = [add_message(chat, "user", "Question 2 ? 🏯", parent=start[-1])]
    shown += [
        add_message(chat, "assistant" if n % 2 == 0 else "user", f"Suite {n} 続き")
        for n in range(2 * HISTORY_ON_PAGE)
    ]
    page = open_page(viewport=DESKTOP)
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    expect(page.locator(f"#message-{shown[-1].pk}")).to_be_in_viewport()

    # Another device shows the other version, whose fork is above the messages on this page.
    switched = httpx.post(
        f"{base_url}/api/chats/{chat.pk}/branch/",
        json={"message_id": other[0].pk},
        headers=bearer(server_tokens(base_url, alice)["access"]),
    )
    assert switched.status_code == 200, switched.text
    expect(page.locator(f"#message-{other[-1].pk}")).to_be_attached()
    expect(page.locator(f"#message-{shown[-1].pk}")).to_have_count(0)
    _scroll_up_to_the_start(page, len(start) + len(other))
    assert page.evaluate(SHOWN_IDS) == [f"message-{m.pk}" for m in start + other]

    # Back to the first version, from its switcher near the top: the arrows stay in hand.
    page.locator(f"#message-{other[0].pk}").get_by_role("button", name="Next version").click()
    expect(page.locator(f"#message-{shown[-1].pk}")).to_be_attached()
    assert page.evaluate(SHOWN_IDS) == [f"message-{m.pk}" for m in start + shown]
    expect(page.locator("[data-role=earlier]")).to_have_count(0)
