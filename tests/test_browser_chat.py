"""Chatting as a person does: Debian's Chromium, a real ASGI server, the built-in model."""

import re

import pytest
from django.test import override_settings
from playwright.sync_api import Browser, expect

from accounts.models import User
from chats.models import ChatMessage
from tests.conftest import PASSWORD
from tests.test_browser import sign_in_page
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@override_settings(ONYX_BUILTIN_WORD_DELAY=0.03)
def test_hello_ai_streams_to_both_tabs_and_survives_a_reload(
    base_url: str, browser: Browser
) -> None:
    User.objects.create_user(email="alice@example.com", password=PASSWORD)
    context = browser.new_context(viewport={"width": 390, "height": 844})  # phone width
    first = context.new_page()
    sign_in_page(first, base_url, "alice@example.com")
    first.click("[data-testid=new-chat]")
    expect(first).to_have_url(re.compile(r"/chats/\d+/$"))
    expect(first.locator("html")).to_have_attribute("data-live", "open")

    second = context.new_page()  # a second tab of the same browser session
    second.goto(first.url)
    expect(second.locator("html")).to_have_attribute("data-live", "open")

    first.fill("#composer textarea", "Hello AI")
    first.keyboard.press("Enter")
    reply = first.locator(".bubble.assistant").last
    expect(first.locator(".bubble.user .body")).to_have_text("Hello AI")
    # Streaming: a partial text appears before the finished, rendered reply.
    expect(reply.locator(".streaming-text")).not_to_be_empty()
    expect(first.locator("#typing")).to_be_visible()
    expect(reply).to_have_attribute("data-status", "done", timeout=15_000)
    expect(reply.locator(".body p").first).to_contain_text("Hello")
    expect(first.locator("#typing")).to_be_hidden()
    final_text = reply.locator(".body").inner_text()

    expect(second.locator(".bubble.user .body")).to_have_text("Hello AI")
    expect(second.locator(".bubble.assistant")).to_have_attribute("data-status", "done")
    assert second.locator(".bubble.assistant .body").inner_text() == final_text
    expect(first.locator("[data-testid=chat-title]")).to_have_text("Hello AI")

    first.reload()
    expect(first.locator(".bubble")).to_have_count(2)
    assert first.locator(".bubble.assistant .body").inner_text() == final_text

    first.locator(".bubble.assistant [data-action=feedback][data-value='1']").click()
    expect(first.locator(".bubble.assistant [data-value='1']")).to_have_class("small chosen")

    first.click("[data-testid=logout]")
    expect(first).to_have_url(f"{base_url}/login/")
    expect(first.locator(".messages")).to_contain_text("You are signed out.")


@override_settings(ONYX_BUILTIN_WORD_DELAY=0.05)
def test_a_tab_opened_mid_reply_shows_everything_so_far(base_url: str, browser: Browser) -> None:
    User.objects.create_user(email="alice@example.com", password=PASSWORD)
    context = browser.new_context()
    first = context.new_page()
    sign_in_page(first, base_url, "alice@example.com")
    first.click("[data-testid=new-chat]")
    expect(first.locator("html")).to_have_attribute("data-live", "open")
    first.fill("#composer textarea", "Tell me what you can do")
    first.click("#composer button[type=submit]")
    streaming = first.locator(".bubble.assistant .streaming-text")
    # A few words are in (Playwright trims whitespace, so wait for two real words).
    expect(streaming).to_have_text(re.compile(r"\S+\s+\S+"))

    late = context.new_page()
    late.goto(first.url)
    late_reply = late.locator(".bubble.assistant")
    samples: list[str] = []

    def sampled_until_done() -> bool:
        if late_reply.get_attribute("data-status") == "done":
            return True
        samples.append(
            late.evaluate("document.querySelector('.streaming-text')?.textContent ?? ''")
        )
        return False

    wait_until(sampled_until_done, what="the late tab's reply to finish")
    final = ChatMessage.objects.for_user(User.objects.get()).get(role="assistant").content
    # Every moment of the late tab's stream is a prefix of the final text: nothing the page
    # was rendered with is lost, and nothing is shown twice.
    assert samples[0]
    assert all(final.startswith(sample) for sample in samples)
    assert len({len(sample) for sample in samples}) > 2  # it really streamed on the late tab
    expect(first.locator(".bubble.assistant")).to_have_attribute("data-status", "done")
