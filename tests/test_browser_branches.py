"""Versions of a message in Chromium: regenerate, switch and edit in one tab, and the other tab
follows live; editing in place, and the switcher at desktop and phone widths."""

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from tests.browser_helpers import screenshot, serious_accessibility_problems, sign_in_page
from tests.conftest import DESKTOP, PASSWORD, PHONE
from tests.factories import add_message, make_chat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_versions_switch_and_edit_in_one_tab_show_in_the_other(
    base_url: str, browser: Browser
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = make_chat(owner=alice, title="Herons")
    add_message(chat, "user", "Hello there")
    add_message(chat, "assistant", "The first answer, kept 🐦")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, timezone_id="UTC")
    first = context.new_page()
    sign_in_page(first, base_url, "alice@example.com")
    first.goto(f"{base_url}/chats/{chat.pk}/")
    second = context.new_page()
    second.goto(first.url)
    for tab in (first, second):
        expect(tab.locator("html")).to_have_attribute("data-live", "open")

    first.locator(".message.assistant [data-action=regenerate]").click()
    for tab in (first, second):
        reply = tab.locator(".message.assistant")
        expect(reply.locator("[data-role=version-position]")).to_have_text("2/2")
        expect(reply).to_have_count(1)
        expect(reply).to_have_attribute("data-status", "done", timeout=15_000)
        expect(reply.locator(".body")).not_to_contain_text("The first answer")

    second.locator(".message.assistant button[aria-label='Previous version']").click()
    for tab in (second, first):
        reply = tab.locator(".message.assistant")
        expect(reply.locator(".body")).to_contain_text("The first answer, kept 🐦")
        expect(reply.locator("[data-role=version-position]")).to_have_text("1/2")

    first.locator(".message.user [data-action=edit]").click()
    first.locator(".message.user textarea[name=content]").fill("Bonjour, les hérons ? 鷺")
    first.locator(".message.user [data-role=save-edit]").click()
    for tab in (first, second):
        question = tab.locator(".message.user")
        expect(question.locator(".body")).to_have_text("Bonjour, les hérons ? 鷺")
        expect(question.locator("[data-role=version-position]")).to_have_text("2/2")
        expect(tab.locator(".message.assistant")).to_have_attribute(
            "data-status", "done", timeout=15_000
        )


OpenPage = Callable[..., Page]
PHONE_DARK: dict[str, Any] = {
    "viewport": PHONE,
    "device_scale_factor": 2,
    "has_touch": True,
    "color_scheme": "dark",
}


@pytest.mark.parametrize(
    ("options", "name"), [({"viewport": DESKTOP}, "desktop"), (PHONE_DARK, "dark-phone")]
)
def test_a_message_is_edited_in_place_and_sent_as_a_new_version(
    base_url: str, open_page: OpenPage, options: dict[str, Any], name: str
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = make_chat(owner=alice, title="Hérons 🐦")
    add_message(chat, "user", "Where do herons nest?")
    add_message(chat, "assistant", "In **colonies**, high in trees.")
    page = open_page(**options, bypass_csp=True)  # bypass_csp: for axe
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    question = page.locator(".message.user")
    editor = question.locator("textarea[name=content]")
    expect(editor).to_be_hidden()

    question.hover()
    question.get_by_role("button", name="Edit").click()
    expect(editor).to_be_focused()
    expect(editor).to_have_value("Where do herons nest?")
    expect(question.locator(".body")).to_be_hidden()
    # Escape leaves the message as it was, and a second edit starts from it again.
    editor.fill("Not this")
    editor.press("Escape")
    expect(editor).to_be_hidden()
    expect(question.locator(".body")).to_have_text("Where do herons nest?")
    question.get_by_role("button", name="Edit").click()
    expect(editor).to_have_value("Where do herons nest?")
    # An empty edit is refused in place, and nothing is sent.
    editor.fill("  \n ")
    question.get_by_role("button", name="Save & send").click()
    expect(question.locator("[data-role=edit-error]")).to_have_text("Write a message first.")
    editor.fill("Où nichent les hérons ? 鷺の巣 🪺")
    assert serious_accessibility_problems(page) == []
    screenshot(page, f"edit-{name}")
    editor.press("Enter")

    question = page.locator(".message.user")
    expect(question.locator(".body")).to_have_text("Où nichent les hérons ? 鷺の巣 🪺")
    expect(question.locator("[data-role=version-position]")).to_have_text("2/2")
    reply = page.locator(".message.assistant")
    expect(reply).to_have_count(1)
    expect(reply).to_have_attribute("data-status", "done", timeout=15_000)
    expect(reply.locator(".body")).not_to_contain_text("colonies")
    questions = ChatMessage.objects.for_user(alice).filter(role="user").order_by("pk")
    assert [q.content for q in questions] == [
        "Where do herons nest?",
        "Où nichent les hérons ? 鷺の巣 🪺",
    ]
    assert questions[0].parent_id == questions[1].parent_id is None

    # The first version, and its reply, are one tap away.
    question.get_by_role("button", name="Previous version").click()
    expect(page.locator(".message.user .body")).to_have_text("Where do herons nest?")
    expect(page.locator(".message.assistant .body")).to_contain_text("colonies")
    expect(page.locator(".message.user [data-role=version-position]")).to_have_text("1/2")


def _three_versions(alice: User) -> tuple[ChatSession, list[ChatMessage]]:
    """A question answered three times; the second answer was followed up."""
    chat = make_chat(owner=alice, title="Tokyo trip 東京")
    question = add_message(chat, "user", "Plan a day in Tokyo")
    first = add_message(chat, "assistant", "Version one: **Asakusa** at dawn.", parent=question)
    second = add_message(chat, "assistant", "Version two: _Shibuya_ and ramen 🍜.", parent=question)
    add_message(chat, "user", "And in the evening?")
    add_message(chat, "assistant", "Shinjuku, for the lights.")
    third = add_message(chat, "assistant", "Version three: museums in Ueno.", parent=question)
    return chat, [first, second, third]


@pytest.mark.parametrize(
    ("options", "name"), [({"viewport": DESKTOP}, "desktop"), (PHONE_DARK, "dark-phone")]
)
def test_switching_versions_brings_their_branch_and_keeps_the_arrows_in_hand(
    base_url: str, open_page: OpenPage, options: dict[str, Any], name: str
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat, versions = _three_versions(alice)
    page = open_page(**options, bypass_csp=True)  # bypass_csp: for axe
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    other = open_page(context=page.context)
    other.goto(page.url)
    expect(other.locator("html")).to_have_attribute("data-live", "open")
    page.bring_to_front()

    answer = page.locator(f"#message-{versions[2].pk}")
    expect(answer.locator("[data-role=version-position]")).to_have_text("3/3")
    expect(answer.get_by_role("button", name="Next version")).to_be_disabled()
    answer.get_by_role("button", name="Previous version").click()
    # Version two comes with what followed it; the arrows stay under the finger, focused.
    answer = page.locator(f"#message-{versions[1].pk}")
    expect(answer.locator("[data-role=version-position]")).to_have_text("2/3")
    expect(page.locator(".message")).to_have_count(4)
    expect(page.locator(".message").last).to_contain_text("Shinjuku, for the lights.")
    expect(answer.get_by_role("button", name="Previous version")).to_be_focused()
    for tab in (page, other):
        expect(tab.locator(".message").nth(1).locator(".body")).to_contain_text("Version two")
        expect(tab.locator(".message")).to_have_count(4)
    assert serious_accessibility_problems(page) == []
    screenshot(page, f"versions-{name}")

    page.keyboard.press("Enter")  # the focused arrow, again
    answer = page.locator(f"#message-{versions[0].pk}")
    expect(answer.locator("[data-role=version-position]")).to_have_text("1/3")
    expect(page.locator(".message")).to_have_count(2)
    expect(answer.get_by_role("button", name="Previous version")).to_be_disabled()
    expect(answer.get_by_role("button", name="Next version")).to_be_focused()
    expect(other.locator(".message")).to_have_count(2)

    # The history sent on follows the branch shown: a new message continues version one.
    page.fill("#composer textarea", "Merci ! 🙏")
    page.keyboard.press("Enter")
    expect(page.locator(".message.assistant").last).to_have_attribute(
        "data-status", "done", timeout=15_000
    )
    expect(other.locator(".message")).to_have_count(4)
    sent = ChatMessage.objects.for_user(alice).get(content="Merci ! 🙏")
    assert sent.parent_id == versions[0].pk
    page.reload()
    expect(page.locator(".message")).to_have_count(4)
    expect(page.locator(".message").nth(1)).to_contain_text("Version one")
