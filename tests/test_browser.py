"""The app as a person uses it: Debian's Chromium driven by Playwright over a real ASGI server."""

import time
from collections.abc import Callable, Collection
from typing import Any

import pytest
import redis.exceptions
from playwright.sync_api import Browser, Page, expect

from accounts import session_registry
from accounts.models import User
from onyx_site import events
from onyx_site.live_state import redis_client
from tests.browser_helpers import off_the_browsers_thread, sign_in_page
from tests.conftest import PASSWORD, at_desktop_and_dark_phone

OpenPage = Callable[..., Page]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_in_see_chats_sign_out(base_url: str, browser: Browser) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    page = browser.new_page()
    page.goto(f"{base_url}/login/")
    page.fill("input[name=email]", "alice@example.com")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    expect(page.locator(".form-errors")).to_contain_text("do not match an account")

    sign_in_page(page, base_url, "alice@example.com")
    expect(page.locator("h1")).to_have_text("Chats")
    expect(page.locator("html")).to_have_attribute("data-live", "open")
    cookie = next(c for c in page.context.cookies() if c["name"] == "onyx_session")
    assert cookie["httpOnly"] is True
    assert page.evaluate("document.cookie").find("onyx_session") == -1

    page.click("[data-testid=logout]")
    expect(page).to_have_url(f"{base_url}/login/")
    expect(page.locator(".messages")).to_contain_text("You are signed out.")
    assert session_registry.list_sessions(alice.pk) == []


def test_an_open_tab_says_so_when_its_session_is_revoked(base_url: str, browser: Browser) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    laptop = browser.new_context(timezone_id="UTC").new_page()
    phone = browser.new_context(timezone_id="UTC").new_page()
    sign_in_page(laptop, base_url, alice.email)
    sign_in_page(phone, base_url, alice.email)
    expect(phone.locator("html")).to_have_attribute("data-live", "open")

    laptop.goto(f"{base_url}/account/sessions/")
    expect(laptop.locator(".session-row")).to_have_count(2)
    laptop.locator(".session-row:not(.current) button").click()
    laptop.locator("#confirm-dialog [data-role=confirm]").click()
    expect(laptop.locator(".messages")).to_contain_text("That session is signed out.")

    # The phone's tab is told at once, without reloading, and a reload lands on the login page.
    expect(phone.locator("#session-banner")).to_be_visible()
    expect(phone.locator("#session-banner")).to_contain_text("Sign in again")
    phone.reload()
    expect(phone).to_have_url(f"{base_url}/login/?next=/chats/")
    expect(phone.locator(".messages")).to_contain_text(
        "You were signed out from another device. Sign in again."
    )


@at_desktop_and_dark_phone
def test_an_open_tab_says_so_when_its_session_expires(
    base_url: str, open_page: OpenPage, looks: dict[str, Any]
) -> None:
    """Not "signed out from another device": the 24 hours ran out. The session's end is moved
    to a moment ago in Redis, as the passing of time would; the tab's socket notices it."""
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    page = open_page(**looks)
    sign_in_page(page, base_url, alice.email)
    [session] = session_registry.list_sessions(alice.pk)
    key = session_registry._session_key(session.sid)
    redis_client().hset(key, "expires_at", f"{time.time() - 1:.6f}")
    banner = page.locator("#session-banner")
    expect(banner).to_be_visible(timeout=20_000)  # the socket's next re-check of its session
    expect(banner).to_contain_text("Your session expired. Sign in again.")
    page.reload()
    expect(page).to_have_url(f"{base_url}/login/?next=/chats/")
    expect(page.locator(".messages")).to_contain_text("Your session expired. Sign in again.")
    expect(page.get_by_text("another device")).to_have_count(0)


def test_a_tab_explains_a_1013_close_and_reconnects_by_itself(
    base_url: str, open_page: OpenPage, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Redis out of reach for one sweep of the open sockets' sessions: the server closes the
    socket with 1013 (try again later), as it does in a real outage (tests/test_outages.py)."""
    settings.ONYX_WEBSOCKET_RECHECK_SECONDS = 0.2
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    page = open_page()
    sign_in_page(page, base_url, alice.email)
    still_there = session_registry.alive_session_ids
    failed: list[Collection[str]] = []

    async def out_of_reach_once(sids: Collection[str]) -> set[str]:
        if not failed:
            failed.append(sids)
            raise redis.exceptions.ConnectionError("Error 111 connecting to Redis.")
        return await still_there(sids)

    monkeypatch.setattr(session_registry, "alive_session_ids", out_of_reach_once)
    toasts = page.locator("#toasts")
    expect(toasts).to_contain_text("The server is temporarily unavailable. Reconnecting…")
    expect(toasts).to_contain_text("Connected again.")
    expect(page.locator("html")).to_have_attribute("data-live", "open")
    assert len(failed) == 1  # one sweep failed; the page came back on its own after it
    # Live events flow again on the new socket.
    off_the_browsers_thread(
        lambda: events.publish(alice.pk, {"type": "notification", "text": "Wieder da ✓ 戻った"})
    )
    expect(toasts).to_contain_text("Wieder da ✓ 戻った")
