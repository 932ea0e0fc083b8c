"""Uploading as a person does: several files, progress while they travel, refusals explained,
and rows that look the same live as after a reload."""

from collections.abc import Callable

import pytest
from playwright.sync_api import FilePayload, Page, expect

from accounts.models import User
from files.models import UserFile
from files.views import FILES_PER_PAGE
from tests.browser_helpers import screenshot, sign_in_page
from tests.conftest import PASSWORD, PHONE
from tests.factories import many_files
from tests.file_samples import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OpenPage = Callable[..., Page]

# Rows as they look: a live row was rendered for an event, without a request and so without the
# hidden CSRF field a page's forms carry (the page adds it when such a form is sent).
ROWS_HTML = """() => [...document.querySelectorAll('#files .file-row')].map((row) => {
  const copy = row.cloneNode(true);
  copy.querySelectorAll('[name=csrfmiddlewaretoken]').forEach((field) => field.remove());
  copy.classList.remove('arrived');
  return copy.outerHTML;
})"""


def test_upload_several_files_with_progress_and_live_status(
    base_url: str, open_page: OpenPage
) -> None:
    User.objects.create_user(email="alice@example.com", password=PASSWORD)
    # The refused upload is a 415 the browser itself logs; the page explains it next to the file.
    page = open_page(expected_errors=["status of 415"])
    sign_in_page(page, base_url, "alice@example.com", then="/files/")
    expect(page.locator("html")).to_have_attribute("data-live", "open")
    expect(page.locator("[data-role=no-js-upload]")).to_be_hidden()  # JavaScript uploads at once

    uploads: list[FilePayload] = [
        {"name": "briefing.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("Heron 4471")},
        {"name": "notes-été-笔记.md", "mimeType": "text/markdown", "buffer": b"# Notes\n\nSnacks."},
        {"name": "photo.bin", "mimeType": "application/octet-stream", "buffer": b"\x00\x01\x02"},
    ]
    page.set_input_files("[data-testid=file-input]", uploads)
    refused = page.locator(".upload-item[data-state=refused]")
    expect(refused).to_have_attribute("data-name", "photo.bin")
    expect(refused.locator(".note")).to_contain_text("can't be read. Accepted:")
    expect(refused.locator("progress")).to_have_count(0)  # no full bar next to an error
    dismiss = refused.get_by_role("button", name="Dismiss the message about photo.bin")
    expect(dismiss.locator("svg")).to_have_count(1)
    expect(dismiss).to_have_text("")
    # Uploaded files leave the upload list: their rows say how reading them goes.
    expect(page.locator(".upload-item")).to_have_count(1)

    for name in ("briefing.pdf", "notes-été-笔记.md"):
        row = page.locator("#files .file-row", has_text=name)
        expect(row).to_have_attribute("data-status", "ready", timeout=15_000)
        expect(row.locator("[data-role=status]")).to_have_text("Ready")
    live_rows = page.evaluate(ROWS_HTML)
    screenshot(page, "files-desktop")

    page.reload()
    reloaded_rows = page.evaluate(ROWS_HTML)
    # (Uploads run side by side, so the live order is arrival order; each row is the same.)
    assert sorted(live_rows) == sorted(reloaded_rows)

    page.locator("#files a", has_text="briefing.pdf").click()
    expect(page.locator(".extracted")).to_contain_text("Heron 4471")


def test_deleting_a_file_asks_first(base_url: str, open_page: OpenPage) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    page = open_page(viewport=PHONE, device_scale_factor=2, has_touch=True)
    sign_in_page(page, base_url, alice.email, then="/files/")
    keep: FilePayload = {"name": "keep-me.txt", "mimeType": "text/plain", "buffer": b"Words."}
    page.set_input_files("[data-testid=file-input]", [keep])
    row = page.locator("#files .file-row", has_text="keep-me.txt")
    expect(row).to_have_attribute("data-status", "ready", timeout=15_000)
    screenshot(page, "files-phone")

    row.get_by_role("button", name="Delete keep-me.txt").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("“keep-me.txt” and its text are deleted for good.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(row).to_be_visible()
    assert UserFile.objects.for_user(alice).count() == 1

    row.get_by_role("button", name="Delete keep-me.txt").click()
    dialog.locator("[data-role=confirm]").click()
    expect(page.locator("#files .file-row")).to_have_count(0)
    expect(page.locator("#toasts")).to_contain_text("Deleted “keep-me.txt”.")
    assert not UserFile.objects.for_user(alice).exists()


def test_a_file_uploaded_from_a_later_page_is_announced_on_the_first(
    base_url: str, open_page: OpenPage
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    older = many_files(alice, FILES_PER_PAGE + 5, name="Ancien n°{n:02d} 旧 📁.txt")
    page = open_page()
    sign_in_page(page, base_url, alice.email, then="/files/?page=2")
    expect(page.locator("html")).to_have_attribute("data-live", "open")
    rows = page.locator("#files .file-row")
    expect(rows).to_have_count(5)

    fresh: FilePayload = {
        "name": "nouveau — 新 ✨.txt",
        "mimeType": "text/plain",
        "buffer": b"Mots.",
    }
    page.set_input_files("[data-testid=file-input]", [fresh])
    note = page.locator(".upload-item[data-state=done] .note")
    expect(note).to_have_text("Uploaded: new files are on the first page.")
    expect(page.locator(".upload-item progress")).to_have_count(0)
    # This page keeps its own five rows: the new file is not put among older ones.
    expect(rows).to_have_count(5)
    expect(rows.first).to_contain_text(older[4].name)

    note.get_by_role("link", name="first page").click()
    expect(page).to_have_url(f"{base_url}/files/?page=1")
    expect(page.locator("#files .file-row").first).to_contain_text("nouveau — 新 ✨.txt")
