"""Uploading as a person does: several files, progress bars, and their status arriving live."""

import pytest
from playwright.sync_api import Browser, FilePayload, expect

from accounts.models import User
from tests.browser_helpers import sign_in_page
from tests.conftest import PASSWORD
from tests.file_samples import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_several_files_with_progress_and_live_status(
    base_url: str, browser: Browser
) -> None:
    User.objects.create_user(email="alice@example.com", password=PASSWORD)
    page = browser.new_page()
    sign_in_page(page, base_url, "alice@example.com")
    page.goto(f"{base_url}/files/")
    expect(page.locator("html")).to_have_attribute("data-live", "open")

    uploads: list[FilePayload] = [
        {"name": "briefing.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes("Heron 4471")},
        {"name": "notes.md", "mimeType": "text/markdown", "buffer": b"# Notes\n\nBring snacks."},
        {"name": "photo.bin", "mimeType": "application/octet-stream", "buffer": b"\x00\x01\x02"},
    ]
    page.set_input_files("[data-testid=file-input]", uploads)
    done = page.locator(".upload-item[data-state=done]")
    expect(done).to_have_count(2)
    for item in done.all():
        expect(item.locator("progress")).to_have_attribute("value", "100")
    refused = page.locator(".upload-item[data-state=refused]")
    expect(refused).to_have_attribute("data-name", "photo.bin")
    expect(refused.locator(".note")).to_contain_text("can't be read. Accepted:")

    # Status changes arrive over the socket: no reload needed.
    for name in ("briefing.pdf", "notes.md"):
        row = page.locator("#files tbody tr", has_text=name)
        expect(row).to_have_attribute("data-status", "ready", timeout=15_000)

    page.locator("#files a", has_text="briefing.pdf").click()
    expect(page.locator(".extracted")).to_contain_text("Heron 4471")
