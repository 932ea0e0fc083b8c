"""Versions of a message in Chromium: regenerate, switch and edit in one tab, and the other tab
follows live."""

import pytest
from playwright.sync_api import Browser, expect

from accounts.models import User
from tests.browser_helpers import sign_in_page
from tests.conftest import PASSWORD
from tests.factories import add_message, make_chat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_versions_switch_and_edit_in_one_tab_show_in_the_other(
    base_url: str, browser: Browser
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = make_chat(owner=alice, title="Herons")
    add_message(chat, "user", "Hello there")
    add_message(chat, "assistant", "The first answer, kept 🐦")
    context = browser.new_context(viewport={"width": 1280, "height": 800})
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
