"""The app around the chat: the sidebar of chats by date, its menu, the drawer on a phone,
the favicon and the themes."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from django.utils import timezone
from playwright.sync_api import FilePayload, Locator, Page, Route, expect

from accounts.models import User
from chats.models import ChatSession
from tests.browser_helpers import screenshot, sign_in_page
from tests.conftest import (
    PASSWORD,
    PHONE,
    at_desktop_and_dark_phone,
    bearer,
    on_a_phone,
    server_tokens,
)
from tests.factories import add_message, chats_either_side_of_midnight
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OpenPage = Callable[..., Page]


def chats_of_every_age(owner: User) -> dict[str, ChatSession]:
    """Chats of every age the sidebar tells apart, by the days of UTC (the tests' browsers)."""
    now = timezone.now()
    since_midnight = now - now.replace(hour=0, minute=0, second=0, microsecond=0)
    ages = {
        "Trip to Kyōto 🗾": timedelta(0),
        "Budget for Q3": min(timedelta(hours=1), since_midnight),
        "Reading list": timedelta(days=1),
        "Garden plans": timedelta(days=3),
        "Old recipe ideas": timedelta(days=40),
        "Tax questions": timedelta(days=90),
    }
    chats = {}
    for title, age in ages.items():
        chat = ChatSession.objects.create(owner=owner, title=title)
        # updated_at is set on every save; move it back with an update.
        ChatSession.objects.for_user(owner).filter(pk=chat.pk).update(updated_at=now - age)
        chats[title] = chat
    pinned = ChatSession.objects.create(owner=owner, title="Pinned notes", pinned=True)
    chats["Pinned notes"] = pinned
    return chats


def group_titles(page: Page) -> dict[str, list[str]]:
    result: dict[str, list[str]] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('#chat-groups .chat-group')]
          .map((g) => [g.querySelector('.group-label').textContent,
                       [...g.querySelectorAll('.chat-name')].map((n) => n.textContent)]))"""
    )
    return result


def open_the_drawer_on_a_phone(page: Page, looks: dict[str, Any]) -> None:
    menu = page.locator("[data-action=open-drawer]")
    if on_a_phone(looks) and menu.get_attribute("aria-expanded") != "true":
        menu.click()
        expect(page.locator("#sidebar")).to_be_in_viewport()


@at_desktop_and_dark_phone
def test_the_sidebar_groups_chats_by_date_and_filters_them(
    base_url: str, open_page: OpenPage, looks: dict[str, Any]
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chats_of_every_age(alice)
    page = open_page(**looks)
    sign_in_page(page, base_url, alice.email)
    open_the_drawer_on_a_phone(page, looks)
    assert group_titles(page) == {
        "Pinned": ["Pinned notes"],
        "Today": ["Trip to Kyōto 🗾", "Budget for Q3"],
        "Yesterday": ["Reading list"],
        "Previous 7 days": ["Garden plans"],
        "Older": ["Old recipe ideas", "Tax questions"],
    }
    if not on_a_phone(looks):
        screenshot(page, "home-desktop")
    search = page.locator("[data-role=sidebar-search]")
    search.fill("kyoto")  # accents need not be typed
    expect(page.locator("#chat-groups .chat-item:visible")).to_have_count(1)
    expect(page.locator("#chat-groups .chat-item:visible .chat-name")).to_have_text(
        "Trip to Kyōto 🗾"
    )
    expect(page.locator("#chat-groups .group-label:visible")).to_have_text(["Today"])
    search.fill("")
    expect(page.locator("#chat-groups .chat-item:visible")).to_have_count(7)
    # Enter searches the messages too, on the search page.
    search.fill("garden")
    search.press("Enter")
    expect(page).to_have_url(f"{base_url}/chats/?q=garden")
    expect(page.locator(".result-link")).to_have_text(["Garden plans"])


@at_desktop_and_dark_phone
def test_rename_pin_archive_and_delete_from_the_menu_reach_every_tab(
    base_url: str, open_page: OpenPage, looks: dict[str, Any]
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chats = chats_of_every_age(alice)
    page = open_page(**looks)
    sign_in_page(page, base_url, alice.email)
    other_tab = open_page(context=page.context)
    other_tab.goto(f"{base_url}/chats/{chats['Pinned notes'].pk}/")
    expect(other_tab.locator("html")).to_have_attribute("data-live", "open")
    page.bring_to_front()  # a tab in the background gets no animation frames

    def listed(title: str) -> Locator:
        open_the_drawer_on_a_phone(page, looks)
        return page.locator("#chat-groups .chat-name", has_text=title)

    def open_menu_of(title: str) -> None:
        open_the_drawer_on_a_phone(page, looks)
        item = page.locator("#chat-groups .chat-item", has_text=title)
        item.hover()
        item.locator("summary").click()
        expect(item.locator(".menu-panel")).to_be_visible()

    open_menu_of("Reading list")
    if not on_a_phone(looks):
        screenshot(page, "sidebar-menu-desktop")
    page.locator("#chat-groups .menu-panel:visible [data-action=rename-chat]").click()
    dialog = page.locator("#rename-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("input").fill("Books to read 📚")
    dialog.locator("input").press("Enter")
    expect(listed("Books to read 📚")).to_be_visible()
    # Every tab hears of it.
    expect(other_tab.locator("#chat-groups .chat-name", has_text="Books to read 📚")).to_have_count(
        1
    )
    chats["Reading list"].refresh_from_db()
    assert chats["Reading list"].title == "Books to read 📚"

    open_menu_of("Garden plans")
    page.locator("#chat-groups .menu-panel:visible [data-action=pin-chat] button").click()
    expect(page.locator("#chat-groups .chat-group", has_text="Pinned")).to_contain_text(
        "Garden plans"
    )

    open_menu_of("Budget for Q3")
    page.locator("#chat-groups .menu-panel:visible [data-action=archive-chat] button").click()
    expect(page.locator("#chat-groups .chat-name", has_text="Budget for Q3")).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text("Chat archived")
    page.goto(f"{base_url}/chats/?archived=1")
    archived = page.locator(".main-list .chat-item")
    expect(archived).to_have_count(1)
    expect(archived).to_contain_text("Budget for Q3")
    archived.hover()
    archived.locator("summary").click()
    archived.locator("[data-action=archive-chat] button").click()
    expect(page.locator("#toasts")).to_contain_text("Chat restored")
    expect(archived).to_have_count(0)
    expect(listed("Budget for Q3")).to_be_visible()
    assert not ChatSession.objects.for_user(alice).get(title="Budget for Q3").archived

    open_menu_of("Tax questions")
    page.locator("#chat-groups .menu-panel:visible [data-action=delete-chat]").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm).to_contain_text("“Tax questions” and all its messages are deleted")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    assert ChatSession.objects.for_user(alice).filter(title="Tax questions").exists()
    open_menu_of("Tax questions")
    page.locator("#chat-groups .menu-panel:visible [data-action=delete-chat]").click()
    confirm.locator("[data-role=confirm]").click()
    expect(page.locator("#chat-groups .chat-name", has_text="Tax questions")).to_have_count(0)
    expect(other_tab.locator("#chat-groups .chat-name", has_text="Tax questions")).to_have_count(0)
    assert not ChatSession.objects.for_user(alice).filter(title="Tax questions").exists()


def test_the_sidebar_shows_more_chats_as_it_is_scrolled_and_keeps_them(
    base_url: str, open_page: OpenPage
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    start = timezone.now() - timedelta(days=30)
    chats = ChatSession.objects.bulk_create(
        ChatSession(owner=alice, title=f"Échange n°{n} 💬 对话") for n in range(130)
    )
    for n, chat in enumerate(chats):  # chat n°129 is the most recent
        ChatSession.objects.for_user(alice).filter(pk=chat.pk).update(
            updated_at=start + timedelta(minutes=n)
        )
    page = open_page()
    sign_in_page(page, base_url, alice.email)
    rows = page.locator("#chat-groups .chat-item")
    more = page.locator("#chat-groups [data-role=more-chats]")
    expect(rows).to_have_count(50)
    expect(rows.first).to_contain_text("Échange n°129 💬 对话")
    # Reaching the end of the list shows more: here by the keyboard, which goes on from the
    # first chat it added.
    more.focus()
    expect(rows).to_have_count(100)
    expect(rows.last).to_contain_text("Échange n°30 💬 对话")
    expect(page.locator("#chat-groups .chat-link").nth(50)).to_be_focused()
    shown_at = page.url
    more.evaluate("link => link.click()")  # the link does it too, out of view, in place
    expect(rows).to_have_count(130)
    expect(page.locator("#chat-groups [data-testid=chat-list-more]")).to_have_count(0)
    assert page.url == shown_at
    # A change to a chat refreshes the list, which keeps every chat it shows.
    access = server_tokens(base_url, alice)["access"]

    def rename(chat: ChatSession, title: str) -> None:
        response = httpx.patch(
            f"{base_url}/api/chats/{chat.pk}/", json={"title": title}, headers=bearer(access)
        )
        assert response.status_code == 200, response.text

    rename(chats[0], "Ancien, renommé ✏️")
    expect(rows.first).to_contain_text("Ancien, renommé ✏️")
    expect(rows).to_have_count(130)
    # So does a list the server gave more at once: the chats page the link leads to without
    # JavaScript, and a chat's page, which lists as far down as its own chat.
    page.goto(f"{base_url}/chats/?shown=100")
    expect(rows).to_have_count(100)
    rename(chats[1], "Deuxième, renommé 📝")
    expect(rows.first).to_contain_text("Deuxième, renommé 📝")
    expect(rows).to_have_count(100)
    page.goto(f"{base_url}/chats/{chats[5].pk}/")
    expect(rows).to_have_count(130)
    expect(page.locator("#chat-groups .chat-item.active")).to_contain_text("Échange n°5 💬 对话")


def test_the_chats_page_shows_more_chats_as_it_is_scrolled_on_a_phone(
    base_url: str, open_page: OpenPage
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    ChatSession.objects.bulk_create(
        ChatSession(owner=alice, title=f"Notiz n°{n} 📝 笔记") for n in range(60)
    )
    page = open_page(viewport=PHONE, has_touch=True)
    sign_in_page(page, base_url, alice.email)
    page.goto(f"{base_url}/chats/")
    rows = page.locator(".main-list .chat-item")
    expect(rows).to_have_count(50)
    page.locator(".main-list [data-role=more-chats]").scroll_into_view_if_needed()
    expect(rows).to_have_count(60)
    expect(page.locator("#chat-groups .chat-item")).to_have_count(60)


def test_the_archived_chats_show_more_on_their_next_page(
    base_url: str, open_page: OpenPage
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    ChatSession.objects.bulk_create(
        ChatSession(owner=alice, title=f"Archivé n°{n} 🗄️ 归档", archived=True) for n in range(60)
    )
    page = open_page()
    sign_in_page(page, base_url, alice.email)
    page.goto(f"{base_url}/chats/?archived=1")
    rows = page.locator(".main-list .chat-item")
    expect(rows).to_have_count(50)
    page.locator(".main-list [data-role=more-chats]").click()
    expect(page).to_have_url(f"{base_url}/chats/?archived=1&shown=100")
    expect(rows).to_have_count(60)


def test_the_chat_list_is_a_drawer_on_a_phone(base_url: str, open_page: OpenPage) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chats = chats_of_every_age(alice)
    page = open_page(viewport=PHONE, device_scale_factor=2, has_touch=True)
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chats['Garden plans'].pk}/")
    sidebar = page.locator("#sidebar")
    expect(sidebar).not_to_be_in_viewport()
    menu = page.locator("[data-action=open-drawer]")
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(sidebar).to_be_in_viewport()
    expect(page.locator("#chat-groups .chat-item.active .chat-name")).to_have_text("Garden plans")
    screenshot(page, "drawer-phone")
    page.keyboard.press("Escape")
    expect(sidebar).not_to_be_in_viewport()
    menu.click()
    page.locator("#chat-groups .chat-link", has_text="Reading list").click()
    expect(page).to_have_url(f"{base_url}/chats/{chats['Reading list'].pk}/")
    expect(page.locator("[data-testid=chat-title]")).to_have_text("Reading list")
    expect(sidebar).not_to_be_in_viewport()


def test_without_javascript_the_menu_button_leads_to_the_chat_list(
    base_url: str, open_page: OpenPage
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chats = chats_of_every_age(alice)
    page = open_page(viewport=PHONE, java_script_enabled=False)
    sign_in_page(
        page, base_url, alice.email, then=f"/chats/{chats['Garden plans'].pk}/", scripts=False
    )
    page.click("[data-action=open-drawer]")
    expect(page).to_have_url(f"{base_url}/chats/")
    expect(page.locator(".main-list .chat-link", has_text="Reading list")).to_be_visible()
    # The menu is a <details>: pinning works as a plain form.
    item = page.locator(".main-list .chat-item", has_text="Reading list")
    item.locator("summary").click()
    item.locator("[data-action=pin-chat] button").click()
    expect(page.locator(".main-list .chat-group", has_text="Pinned")).to_contain_text(
        "Reading list"
    )
    assert ChatSession.objects.for_user(alice).get(pk=chats["Reading list"].pk).pinned


def test_times_and_days_are_the_readers_own(base_url: str, open_page: OpenPage) -> None:
    """A reader in Tokyo sees Tokyo times, and chats grouped by Tokyo's days: the chat of Tokyo's
    midnight is Today and the one a minute before it Yesterday, which UTC's days never agree
    with (at any hour, one of the two falls on another UTC day than Tokyo's)."""
    tokyo = ZoneInfo("Asia/Tokyo")
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chats_either_side_of_midnight(
        alice, tokyo, before="Veille du départ ✈️", after="Ramen à minuit 🍜"
    )
    chat = ChatSession.objects.create(owner=alice, title="Zeitzonen 時間帯", pinned=True)
    message = add_message(chat, "user", "Wie spät ist es? 今何時 🕰️")
    page = open_page(timezone_id="Asia/Tokyo")
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    # The first page was grouped by UTC's days; the page asks again once the server knows.
    tokyo_days = {
        "Pinned": ["Zeitzonen 時間帯"],
        "Today": ["Ramen à minuit 🍜"],
        "Yesterday": ["Veille du départ ✈️"],
    }
    wait_until(lambda: group_titles(page) == tokyo_days, what="the chats grouped by Tokyo's days")
    shown = message.created_at.astimezone(tokyo)
    time = page.locator(f"[data-message-id='{message.pk}'] time")
    expect(time).to_have_text(f"{shown:%H:%M}")
    expect(time).to_have_attribute("title", f"{shown:%Y-%m-%d %H:%M} (Asia/Tokyo)")
    assert datetime.fromisoformat(time.get_attribute("datetime") or "") == message.created_at


def test_favicon_in_svg_png_and_ico(base_url: str, open_page: OpenPage) -> None:
    page = open_page()
    page.goto(f"{base_url}/login/")
    icons = page.locator("link[rel=icon]")
    expect(icons).to_have_count(2)
    hrefs = icons.evaluate_all("(links) => links.map((l) => l.href)")
    for href in [*hrefs, f"{base_url}/favicon.ico"]:
        response = page.request.get(href)
        assert response.ok, href
        assert response.headers["content-type"].startswith(("image/", "text/xml")), href


@pytest.mark.parametrize("preference", ["system", "dark"])
def test_dark_mode_follows_the_system_or_the_saved_preference(
    base_url: str, open_page: OpenPage, preference: str
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD, theme=preference)
    chats_of_every_age(alice)
    # The saved preference wins over a light system; "system" follows a dark one.
    page = open_page(color_scheme="dark" if preference == "system" else "light")
    sign_in_page(page, base_url, alice.email)
    expect(page.locator("html")).to_have_attribute("data-theme", preference)
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(24, 25, 29)"
    if preference == "dark":
        screenshot(page, "home-dark-desktop")


STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def test_every_page_works_under_a_strict_content_security_policy(
    base_url: str, open_page: OpenPage
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chats = chats_of_every_age(alice)
    page = open_page()

    def with_strict_csp(route: Route) -> None:
        response = route.fetch(max_redirects=0)
        headers = {**response.headers, "content-security-policy": STRICT_CSP}
        route.fulfill(response=response, headers=headers)

    page.context.route(
        lambda url: True,
        lambda route: (
            with_strict_csp(route)
            if route.request.resource_type == "document"
            else route.continue_()
        ),
    )
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chats['Garden plans'].pk}/")
    expect(page.locator("html")).to_have_attribute("data-live", "open")
    page.fill("#composer textarea", "Hello there")
    page.keyboard.press("Enter")
    expect(page.locator(".message.assistant")).to_have_attribute("data-status", "done")
    # The chat's own widgets: versions, the editor, the model picker and its dialog, attaching.
    page.locator(".message.assistant [data-action=regenerate]").click()
    expect(page.locator(".message.assistant [data-role=version-position]")).to_have_text("2/2")
    page.locator(".message.user").hover()
    page.locator(".message.user [data-action=edit]").click()
    page.keyboard.press("Escape")
    page.locator("[data-role=model-picker] summary").click()
    expect(page.locator("[data-role=model-picker] button[name=model]")).to_have_count(1)
    page.locator("[data-action=edit-system-prompt]").click()
    expect(page.locator("#chat-settings-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    notes: FilePayload = {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"Herons."}
    page.set_input_files("[data-testid=attach-input]", [notes])
    expect(page.locator(".file-chip")).to_have_attribute("data-status", "ready", timeout=15_000)
    item = page.locator("#chat-groups .chat-item", has_text="Reading list")
    item.hover()
    item.locator("summary").click()
    expect(item.locator(".menu-panel")).to_be_in_viewport()
    for path in ("/chats/", "/files/", "/account/", "/account/sessions/"):
        page.goto(f"{base_url}{path}")
        expect(page.locator("html")).to_have_attribute("data-live", "open")
    # Any refusal by the policy is a console error, which fails the test (see open_page).
