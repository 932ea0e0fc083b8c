"""The account and sessions pages at phone width, and axe-core's accessibility check of every
main page, light and dark, desktop and phone."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from accounts.models import User
from chats.models import ChatSession
from files.models import UserFile
from tests.browser_helpers import screenshot, serious_accessibility_problems, sign_in_page
from tests.conftest import DESKTOP, PASSWORD, PHONE
from tests.factories import add_message, make_chat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OpenPage = Callable[..., Page]
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_sessions_fit_a_phone_and_revoking_asks_first(base_url: str, open_page: OpenPage) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    other_device = open_page(viewport=PHONE, user_agent=ANDROID)
    sign_in_page(other_device, base_url, alice.email, scripts=False)
    page = open_page(viewport=PHONE, device_scale_factor=2, has_touch=True, user_agent=IPHONE)
    sign_in_page(page, base_url, alice.email, then="/account/sessions/")
    rows = page.locator(".session-row")
    expect(rows).to_have_count(2)
    # Devices named for people, the raw user agent kept for a closer look.
    expect(page.locator(".session-row.current [data-role=device]")).to_have_text("Safari on iPhone")
    other_name = page.locator(".session-row:not(.current) [data-role=device]")
    expect(other_name).to_have_text("Chrome on Android")
    expect(other_name).to_have_attribute("title", ANDROID)
    for row in rows.all():
        box = row.bounding_box()
        button = row.locator("button").bounding_box()
        assert box is not None
        assert button is not None
        assert box["height"] < 140
        assert button["x"] + button["width"] <= PHONE["width"]  # in reach, not off-screen
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "sessions-phone")

    other = page.locator(".session-row:not(.current)")
    other.get_by_role("button", name="Revoke").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("Revoke this session?")
    dialog.locator("[data-role=confirm]").click()
    expect(page.locator("#toasts")).to_contain_text("That session is signed out.")
    expect(rows).to_have_count(1)


def test_the_account_page_fits_a_phone_and_saves_the_theme(
    base_url: str, open_page: OpenPage
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    page = open_page(viewport=PHONE, device_scale_factor=2, has_touch=True)
    sign_in_page(page, base_url, alice.email, then="/account/")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "account-phone")
    page.get_by_label("Dark").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#toasts")).to_contain_text("Preferences saved.")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    alice.refresh_from_db()
    assert alice.theme == "dark"


def _alice_with_things() -> tuple[User, ChatSession]:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = make_chat(owner=alice, title="Trip to Kyōto 🗾")
    question = add_message(chat, "user", "Plan three days in Kyōto, 京都 please 🙏")
    # An earlier version of the answer, which failed: the shown one says "2/2".
    add_message(chat, "assistant", "", parent=question, status="failed")
    add_message(
        chat,
        "assistant",
        "## Day one\n\n- Fushimi Inari at dawn\n- **Lunch**: [Nishiki](https://example.com)\n\n"
        "| Day | Area |\n|:--|--:|\n| 1 | East |\n\n"
        "```python\nprint('おはよう')\n```\n\n> Pack light.",
        parent=question,
        model_name="builtin",
    )
    # Rows as the files page lists them; their bytes are not needed to show them.
    rows: list[tuple[str, str, dict[str, Any]]] = [
        ("itinerary.pdf", "pdf", {"status": "ready", "page_count": 2}),
        ("broken.docx", "docx", {"status": "failed", "error": "This Word file is damaged."}),
    ]
    for n, (name, kind, extra) in enumerate(rows):
        UserFile.objects.create(
            owner=alice,
            name=name,
            storage_name=f"x/{name}",
            size=2048,
            kind=kind,
            content_type="application/octet-stream",
            sha256=str(n) * 64,
            **extra,
        )
    return alice, chat


@pytest.mark.parametrize(
    ("viewport", "scheme"),
    [(DESKTOP, "light"), (PHONE, "dark")],
    ids=["desktop-light", "phone-dark"],
)
def test_no_serious_accessibility_problems_on_the_main_pages(
    base_url: str, open_page: OpenPage, viewport: dict[str, int], scheme: str
) -> None:
    alice, chat = _alice_with_things()
    # axe is injected as a script of its own, which a strict Content-Security-Policy would stop.
    page = open_page(viewport=viewport, color_scheme=scheme, bypass_csp=True)
    page.goto(f"{base_url}/login/")
    assert serious_accessibility_problems(page) == []
    if scheme == "light":
        screenshot(page, "login-desktop")
    sign_in_page(page, base_url, alice.email)
    for path in (f"/chats/{chat.pk}/", "/chats/", "/files/", "/account/", "/account/sessions/"):
        page.goto(f"{base_url}{path}")
        expect(page.locator("html")).to_have_attribute("data-live", "open")
        problems = serious_accessibility_problems(page)
        assert problems == [], (path, problems)
        if path == f"/chats/{chat.pk}/" and scheme == "dark":
            screenshot(page, "chat-dark-phone")
        if path == f"/chats/{chat.pk}/" and scheme == "light":
            screenshot(page, "chat-markdown-desktop")


def test_a_page_that_is_not_there_offers_a_way_back(base_url: str, open_page: OpenPage) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    client = Client()
    client.force_login(alice)
    page = open_page(expected_errors=["status of 404"])
    sign_in_page(page, base_url, alice.email)
    page.goto(f"{base_url}/chats/999999/")
    expect(page.get_by_role("link", name="Back to your chats")).to_be_visible()
