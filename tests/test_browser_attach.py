"""Files in the chat, as a person attaches them: the paperclip or a drop uploads them with
progress, refusals are explained, the chips above the composer follow every tab and their
reading status, and removing one detaches the file from the chat."""

from collections.abc import Callable

import pytest
from playwright.sync_api import APIResponse, FilePayload, Page, Route, expect

from accounts.models import User
from chats import services
from chats.models import ChatSession
from files.events import file_event
from files.models import UserFile
from onyx_site import events
from tests.browser_helpers import (
    off_the_browsers_thread,
    screenshot,
    serious_accessibility_problems,
    sign_in_page,
)
from tests.conftest import DESKTOP, PASSWORD, PHONE
from tests.factories import add_message, make_chat
from tests.file_samples import pdf_bytes
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OpenPage = Callable[..., Page]

NOTES: FilePayload = {
    "name": "notes — 東京.md",
    "mimeType": "text/markdown",
    "buffer": "# Herons\n\nThey nest in colonies. 鷺 🐦".encode(),
}
BRIEF: FilePayload = {
    "name": "brief.pdf",
    "mimeType": "application/pdf",
    "buffer": pdf_bytes("Heron"),
}
PHOTO: FilePayload = {
    "name": "photo.bin",
    "mimeType": "application/octet-stream",
    "buffer": b"\0\1",
}

# Dropping files as a person would, from the page's side: the same events, with real files.
DROP = """([name, text]) => {
  const files = new DataTransfer();
  files.items.add(new File([text], name, { type: "text/plain" }));
  const target = document.getElementById("history");
  target.dispatchEvent(new DragEvent("dragenter", { dataTransfer: files, bubbles: true }));
  const overlay = document.getElementById("drop-overlay");
  window.overlayShown = getComputedStyle(overlay).display !== "none";
  target.dispatchEvent(new DragEvent("drop", { dataTransfer: files, bubbles: true }));
}"""


def _chat_with_a_reply(alice: User) -> ChatSession:
    chat = make_chat(owner=alice, title="Herons and files")
    add_message(chat, "user", "What do my notes say about herons?")
    add_message(chat, "assistant", "Attach your notes and I will quote them.")
    return chat


def _attached(chat: ChatSession) -> list[str]:
    return sorted(chat.files.values_list("name", flat=True))


def _file_being_read(owner: User, name: str) -> UserFile:
    return UserFile.objects.create(
        owner=owner,
        name=name,
        storage_name=f"never/read/{name}",
        size=41,
        kind="markdown",
        content_type="text/markdown",
        sha256=name.encode().hex().ljust(64, "0")[:64],
        status=UserFile.Status.PROCESSING,
    )


def test_a_chip_refresh_older_than_a_files_news_does_not_undo_it(
    base_url: str, open_page: OpenPage
) -> None:
    """News of a file that lands while a refresh of the chips is on its way: the refresh's
    older answer must not have the last word (the chip stayed on 'Reading…')."""
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = _chat_with_a_reply(alice)
    notes = _file_being_read(alice, "notes — 東京.md")
    off_the_browsers_thread(lambda: services.attach_file(chat=chat, file=notes))
    page = open_page(viewport=DESKTOP)
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    notes_chip = page.locator(".file-chip", has_text="notes — 東京.md")
    expect(notes_chip).to_have_attribute("data-status", "processing")

    # The next refresh of the chips is answered now and delivered later; later ones go through.
    stale: list[tuple[Route, APIResponse]] = []
    chips_url = f"{base_url}/chats/{chat.pk}/attachments/"

    def hold_the_first(route: Route) -> None:
        if stale:
            route.continue_()
        else:
            stale.append((route, route.fetch()))

    page.route(chips_url, hold_the_first)
    brief = _file_being_read(alice, "brief — 鷺.md")
    off_the_browsers_thread(lambda: services.attach_file(chat=chat, file=brief))
    wait_until(lambda: (page.evaluate("0"), stale)[1], what="the page to refresh its chips")
    [(route, answer)] = stale
    # The notes are read meanwhile, and the page hears so.
    UserFile.objects.for_user(alice).filter(pk=notes.pk).update(status=UserFile.Status.READY)
    notes.refresh_from_db()
    off_the_browsers_thread(lambda: events.publish(alice.pk, file_event("file.updated", notes)))
    expect(notes_chip).to_have_attribute("data-status", "ready")

    route.fulfill(response=answer)  # the older answer: both files still being read
    expect(page.locator(".file-chip")).to_have_count(2)  # it has landed
    expect(notes_chip).to_have_attribute("data-status", "ready")


def test_attach_with_progress_live_status_refusals_and_detach(
    base_url: str, open_page: OpenPage
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = _chat_with_a_reply(alice)
    # The refused upload is a 415 the browser itself logs; the chip explains it.
    page = open_page(viewport=DESKTOP, expected_errors=["status of 415"])
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    other = open_page(context=page.context)
    other.goto(page.url)
    expect(other.locator("html")).to_have_attribute("data-live", "open")
    page.bring_to_front()
    expect(page.locator("#attach-form .no-js-only")).to_be_hidden()  # chosen files go at once

    # Held on the way, so the chip's progress can be seen before the upload lands.
    held: list[Route] = []
    page.route("**/api/files/", lambda route: held.append(route))
    page.set_input_files("[data-testid=attach-input]", [NOTES])
    travelling = page.locator(".upload-chip[data-state=uploading]")
    expect(travelling).to_contain_text("notes — 東京.md")
    expect(travelling.locator("progress")).to_be_visible()
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/api/files/")
    chip = page.locator(".file-chip", has_text="notes — 東京.md")
    expect(chip).to_be_visible()
    expect(travelling).to_have_count(0)  # the file's own chip took over
    # Read in the background: the chip follows, here and in the other tab, without a reload.
    for tab in (page, other):
        expect(tab.locator(".file-chip", has_text="notes — 東京.md")).to_have_attribute(
            "data-status", "ready", timeout=15_000
        )
    assert _attached(chat) == ["notes — 東京.md"]
    expect(page.locator(".files-chooser summary")).to_have_text("Answering from 1 file")

    # Several at once, one of them refused with the reason next to it.
    page.set_input_files("[data-testid=attach-input]", [BRIEF, PHOTO])
    refused = page.locator(".upload-chip[data-state=refused]")
    expect(refused).to_contain_text("photo.bin")
    expect(refused.locator(".note")).to_contain_text("can't be read. Accepted:")
    expect(refused.locator("progress")).to_have_count(0)
    expect(page.locator(".file-chip")).to_have_count(2)
    expect(other.locator(".file-chip")).to_have_count(2)
    expect(page.locator(".file-chip", has_text="brief.pdf")).to_have_attribute(
        "data-status", "ready", timeout=15_000
    )
    screenshot(page, "attach-desktop")
    refused.get_by_role("button", name="Dismiss the message about photo.bin").click()
    expect(refused).to_have_count(0)

    # Removing a chip detaches the file from the chat (the file itself stays).
    page.get_by_role("button", name="Remove brief.pdf from this chat").click()
    expect(page.locator(".file-chip")).to_have_count(1)
    expect(other.locator(".file-chip")).to_have_count(1)
    assert _attached(chat) == ["notes — 東京.md"]
    assert UserFile.objects.for_user(alice).filter(name="brief.pdf").exists()

    page.reload()
    expect(page.locator(".file-chip")).to_have_count(1)
    expect(page.locator(".file-chip")).to_have_attribute("data-status", "ready")


def test_dropping_files_on_the_chat_attaches_them(base_url: str, open_page: OpenPage) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = _chat_with_a_reply(alice)
    page = open_page(viewport=DESKTOP)
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    page.evaluate(DROP, ["dropped — été.txt", "Dropped words, 落とした"])
    assert page.evaluate("window.overlayShown") is True
    expect(page.locator("#drop-overlay")).to_be_hidden()
    chip = page.locator(".file-chip", has_text="dropped — été.txt")
    expect(chip).to_have_attribute("data-status", "ready", timeout=15_000)
    assert _attached(chat) == ["dropped — été.txt"]


def test_attaching_on_a_phone_in_dark_mode(base_url: str, open_page: OpenPage) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = _chat_with_a_reply(alice)
    page = open_page(
        viewport=PHONE,
        device_scale_factor=2,
        has_touch=True,
        color_scheme="dark",
        bypass_csp=True,  # for axe (see serious_accessibility_problems)
    )
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    box = page.locator(".attach-button").bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["width"] >= 28  # big enough for a finger, inside the composer
    page.set_input_files("[data-testid=attach-input]", [NOTES, BRIEF])
    for name in ("notes — 東京.md", "brief.pdf"):
        expect(page.locator(".file-chip", has_text=name)).to_have_attribute(
            "data-status", "ready", timeout=15_000
        )
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    composer = page.locator(".composer-box").bounding_box()
    chips = page.locator("#composer-chips").bounding_box()
    assert composer is not None
    assert chips is not None
    assert chips["y"] + chips["height"] <= composer["y"]  # above the composer, not over it
    assert serious_accessibility_problems(page) == []
    screenshot(page, "attach-dark-phone")
