"""The chat page without JavaScript: every control of issue 9 is a plain form that works, and
the controls that need JavaScript are not offered."""

from collections.abc import Callable

import pytest
from playwright.sync_api import FilePayload, Page, expect

from accounts.models import User
from chats.models import ChatMessage
from tests.conftest import DESKTOP, PASSWORD, wait_for_reply
from tests.factories import add_message, make_chat
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OpenPage = Callable[..., Page]


def _reload_until_done(page: Page, alice: User) -> None:
    reply = ChatMessage.objects.for_user(alice).filter(role="assistant").latest("pk")
    wait_for_reply(alice, reply.pk)
    page.reload()
    expect(page.locator(f"#message-{reply.pk}")).to_have_attribute("data-status", "done")


def test_versions_edit_model_and_attachments_work_as_plain_forms(
    base_url: str, open_page: OpenPage
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = make_chat(owner=alice, title="Sans JavaScript")
    add_message(chat, "user", "Bonjour ?")
    first = add_message(chat, "assistant", "Première réponse.")
    page = open_page(viewport=DESKTOP, java_script_enabled=False)
    page.goto(f"{base_url}/login/?next=/chats/{chat.pk}/")
    page.fill("input[name=email]", alice.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{base_url}/chats/{chat.pk}/")
    # What needs JavaScript is not offered; its plain stand-ins are.
    expect(page.locator(".message.user [data-action=edit]")).to_be_hidden()
    expect(page.locator(".message.user .edit-message summary")).to_be_visible()
    expect(page.locator("#attach-form .no-js-only")).to_be_visible()

    # Regenerate, then back to the first version with the switcher.
    page.locator(".message.assistant").get_by_role("button", name="Regenerate").click()
    _reload_until_done(page, alice)
    expect(page.locator(".message.assistant [data-role=version-position]")).to_have_text("2/2")
    page.locator(".message.assistant").get_by_role("button", name="Previous version").click()
    expect(page.locator(f"#message-{first.pk}")).to_be_visible()
    expect(page.locator(".message.assistant [data-role=version-position]")).to_have_text("1/2")

    # Edit: the summary opens the form under the message.
    page.locator(".message.user .edit-message summary").click()
    page.locator(".message.user textarea[name=content]").fill("Salut, ça va ? 🙂")
    page.locator(".message.user").get_by_role("button", name="Save & send").click()
    _reload_until_done(page, alice)
    expect(page.locator(".message.user .body")).to_have_text("Salut, ça va ? 🙂")
    expect(page.locator(".message.user [data-role=version-position]")).to_have_text("2/2")

    # The model, from the header's menu; the system prompt on its own page.
    page.locator("[data-role=model-picker] summary").click()
    page.locator("button[name=model]", has_text="Built-in assistant").click()
    expect(page.locator("#toasts")).to_contain_text("Saved")
    page.locator("[data-role=model-picker] summary").click()
    page.locator("[data-action=edit-system-prompt]").click()
    page.fill("textarea[name=system_prompt]", "Réponds brièvement.")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{base_url}/chats/{chat.pk}/")
    chat.refresh_from_db()
    assert (chat.model, chat.system_prompt) == ("builtin", "Réponds brièvement.")

    # Attach with the paperclip and the upload button, then remove the chip.
    notes: FilePayload = {
        "name": "notes — 東京.txt",
        "mimeType": "text/plain",
        "buffer": b"Herons.",
    }
    page.set_input_files("[data-testid=attach-input]", [notes])
    page.get_by_role("button", name="Upload the chosen files").click()
    expect(page).to_have_url(f"{base_url}/chats/{chat.pk}/")
    expect(page.locator(".file-chip")).to_contain_text("notes — 東京.txt")
    wait_until(lambda: chat.files.filter(status="ready").count() == 1, timeout=15)
    page.get_by_role("button", name="Remove notes — 東京.txt from this chat").click()
    expect(page.locator(".file-chip")).to_have_count(0)
    assert not chat.files.exists()


def test_earlier_messages_are_pages_of_their_own_without_javascript(
    base_url: str, open_page: OpenPage
) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = make_chat(owner=alice, title="Mémoires 📜")
    messages = [
        add_message(chat, "user" if n % 2 == 0 else "assistant", f"Note {n} — 記録 ✍️")
        for n in range(30)
    ]
    page = open_page(viewport=DESKTOP, java_script_enabled=False)
    page.goto(f"{base_url}/login/?next=/chats/{chat.pk}/")
    page.fill("input[name=email]", alice.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator(f"#message-{messages[-1].pk}")).to_be_attached()
    expect(page.locator(f"#message-{messages[0].pk}")).to_have_count(0)

    page.get_by_role("link", name="Show earlier messages").click()
    # The page of the messages above, on the newest of them, with the way back below.
    expect(page.locator(f"#message-{messages[0].pk} .body")).to_have_text("Note 0 — 記録 ✍️")
    expect(page.locator(f"#message-{messages[-1].pk}")).to_have_count(0)
    expect(page.get_by_role("link", name="Show earlier messages")).to_have_count(0)
    newest_above = page.locator("#history article.message").last
    expect(newest_above).to_be_in_viewport()
    page.get_by_role("link", name="Show the latest messages").click()
    expect(page).to_have_url(f"{base_url}/chats/{chat.pk}/")
    expect(page.locator(f"#message-{messages[-1].pk}")).to_be_attached()
