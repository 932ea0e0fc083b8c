"""Citations in Chromium: a reply's source opens its file at the passage quoted, marked and
scrolled to; a source deleted since says so instead of leading to a 404."""

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.browser_helpers import screenshot, sign_in_page
from tests.conftest import DESKTOP, PASSWORD, PHONE
from tests.factories import add_message, make_chat, make_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OpenPage = Callable[..., Page]
# A long file, so the passage cited is far below the top of its page.
PASSAGES = [f"Chapter {n}: the harbour, the boats, the tide. " * 12 for n in range(30)]
PASSAGES[24] = "Les hérons nichent au nord, en colonies. 鷺は北に巣を作る 🐦"


@pytest.mark.parametrize(
    ("options", "name"),
    [
        ({"viewport": DESKTOP}, "desktop"),
        ({"viewport": PHONE, "has_touch": True, "color_scheme": "dark"}, "dark-phone"),
    ],
)
def test_a_citation_opens_its_passage_and_a_deleted_file_says_so(
    base_url: str, open_page: OpenPage, options: dict[str, Any], name: str
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    kept = make_file(owner=alice, name="hérons — notes.md", chunks=PASSAGES)
    gone = make_file(owner=alice, name="old — 古い.txt", chunks=["Something else."])
    chat = make_chat(owner=alice, title="Herons")
    add_message(chat, "user", "Where do herons nest?")
    add_message(
        chat,
        "assistant",
        "In the north, in colonies [1]. An older note agreed [2].",
        citations=[
            {
                "n": 1,
                "file_id": kept.pk,
                "file_name": kept.name,
                "chunk_index": 24,
                "passage": PASSAGES[24],
            },
            {
                "n": 2,
                "file_id": gone.pk,
                "file_name": gone.name,
                "chunk_index": 0,
                "passage": "Something else.",
            },
        ],
    )
    gone.delete()
    page = open_page(**options)
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    sources = page.locator(".message.assistant [data-role=citations]")
    deleted = sources.locator("li[data-deleted=true]")
    expect(deleted).to_have_text("2old — 古い.txt (deleted)")
    expect(deleted.locator("a")).to_have_count(0)  # nothing to follow to a 404

    sources.get_by_role("link", name="hérons — notes.md").click()
    expect(page).to_have_url(f"{base_url}/files/{kept.pk}/?passage=24#passage-24")
    cited = page.locator(".passage.cited")
    expect(cited).to_have_count(1)
    expect(cited).to_contain_text("Les hérons nichent au nord")
    expect(cited).to_be_in_viewport()
    background = cited.evaluate("(passage) => getComputedStyle(passage).backgroundColor")
    plain = page.locator(".passage").first.evaluate("(p) => getComputedStyle(p).backgroundColor")
    assert background != plain  # marked, not only scrolled to
    screenshot(page, f"citation-{name}")
