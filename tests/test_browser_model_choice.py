"""Choosing a chat's model and system prompt in Chromium: the picker in the header lists what
/api/models/ offers, the choice and the prompt follow every tab, and the next reply uses them."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from chats.models import ChatMessage, ChatSession, ModelConnection
from tests.browser_helpers import screenshot, serious_accessibility_problems, sign_in_page
from tests.conftest import DESKTOP, PASSWORD, PHONE
from tests.factories import add_message, make_chat
from tests.fake_openai_server import FakeOpenAIServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OpenPage = Callable[..., Page]
PROMPT = "Réponds en français, brièvement et avec tact. 簡潔に 🙂"


def _lab(fake: FakeOpenAIServer) -> ModelConnection:
    return ModelConnection.objects.create(
        name="Lab GPU",
        base_url=fake.base_url,
        api_key="sk-never-shown",
        model_names=["llama3:8b", "qwen2.5 中文"],
    )


def _chat(alice: User) -> ChatSession:
    chat = make_chat(owner=alice, title="Models 🧪")
    add_message(chat, "user", "Which model are you?")
    add_message(chat, "assistant", "The server's default one.", model_name="fake-model")
    return chat


def test_pick_a_model_and_a_system_prompt_in_one_tab_the_other_follows(
    base_url: str, open_page: OpenPage, fake_openai: FakeOpenAIServer
) -> None:
    lab = _lab(fake_openai)
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = _chat(alice)
    page = open_page(viewport=DESKTOP)
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    other = open_page(context=page.context)
    other.goto(page.url)
    expect(other.locator("html")).to_have_attribute("data-live", "open")
    page.bring_to_front()

    picker = page.locator("[data-role=model-picker]")
    # No choice yet: the server's default model answers, and says so.
    expect(picker.locator("[data-role=model-name]")).to_have_text("fake-model")
    picker.locator("summary").click()
    options = picker.locator("button[name=model]")
    expect(options).to_have_count(4)
    expect(options.nth(0)).to_contain_text("fake-model")
    expect(options.nth(0).locator(".badge")).to_have_text("Default")
    expect(options.nth(0)).to_have_attribute("aria-current", "true")
    expect(options.nth(2)).to_contain_text("qwen2.5 中文")
    expect(options.nth(2)).to_contain_text("Lab GPU")
    expect(options.nth(3)).to_contain_text("Built-in assistant")
    expect(picker.locator(".menu-panel")).to_be_in_viewport(ratio=1)
    screenshot(page, "model-picker-desktop")

    options.filter(has_text="llama3:8b").click()
    expect(picker.locator(".menu-panel")).to_be_hidden()
    for tab in (page, other):
        expect(tab.locator("[data-role=model-name]")).to_have_text("llama3:8b")
    chat.refresh_from_db()
    assert chat.model == f"{lab.pk}:llama3:8b"

    # The system prompt, in a dialog.
    picker.locator("summary").click()
    picker.locator("[data-action=edit-system-prompt]").click()
    dialog = page.locator("#chat-settings-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("select[name=model]")).to_have_value(f"{lab.pk}:llama3:8b")
    prompt = dialog.locator("textarea[name=system_prompt]")
    expect(prompt).to_be_focused()
    prompt.fill(PROMPT)
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#toasts")).to_contain_text("Saved")
    other.locator("[data-role=model-picker] summary").click()
    expect(other.locator("[data-role=system-prompt-summary]")).to_have_text(PROMPT[:39] + "…")
    chat.refresh_from_db()
    assert chat.system_prompt == PROMPT

    # The next reply is written by the chosen model, told the prompt first.
    page.fill("#composer textarea", "Et maintenant ?")
    page.keyboard.press("Enter")
    reply = page.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-status", "done", timeout=15_000)
    expect(reply.locator(".body")).to_have_text("Echo: Et maintenant ?")
    expect(reply.locator(".meta .model")).to_have_text("llama3:8b")
    asked = fake_openai.requests[-1].body
    assert asked["model"] == "llama3:8b"
    assert asked["messages"][0] == {"role": "system", "content": PROMPT}
    assert ChatMessage.objects.for_user(alice).filter(model_name="llama3:8b").count() == 1


def test_the_picker_and_the_dialog_on_a_phone_in_dark_mode(
    base_url: str, open_page: OpenPage, fake_openai: FakeOpenAIServer
) -> None:
    _lab(fake_openai)
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = _chat(alice)
    page = open_page(
        viewport=PHONE,
        device_scale_factor=2,
        has_touch=True,
        color_scheme="dark",
        bypass_csp=True,  # for axe (see serious_accessibility_problems)
        expected_errors=["status of 400"],  # the browser logs the refused save itself
    )
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    picker = page.locator("[data-role=model-picker]")
    picker.locator("summary").click()
    panel = picker.locator(".menu-panel")
    expect(panel).to_be_in_viewport(ratio=1)  # all of it on the screen, nothing cut off
    expect(picker.locator("button[name=model]")).to_have_count(4)
    assert serious_accessibility_problems(page) == []
    screenshot(page, "model-picker-dark-phone")
    picker.locator("button[name=model]", has_text="Built-in assistant").click()
    expect(picker.locator("[data-role=model-name]")).to_have_text("Built-in assistant")

    picker.locator("summary").click()
    picker.locator("[data-action=edit-system-prompt]").click()
    dialog = page.locator("#chat-settings-dialog")
    expect(dialog).to_be_in_viewport(ratio=1)
    assert serious_accessibility_problems(page) == []
    expect(dialog.locator("textarea[name=system_prompt]")).to_have_attribute("maxlength", "8000")
    # A model taken away while the dialog was open: refused in the dialog, the list renewed.
    ModelConnection.objects.all().delete()
    dialog.locator("select[name=model]").select_option(label="llama3:8b (Lab GPU)")
    dialog.locator("textarea[name=system_prompt]").fill("Sois bref.")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog.locator("[data-role=settings-error]")).to_have_text(
        "That model is not offered any more: choose another one."
    )
    expect(dialog.locator("select[name=model] option")).to_have_count(3)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    chat.refresh_from_db()
    assert (chat.model, chat.system_prompt) == ("builtin", "")


def test_a_model_taken_away_says_so(base_url: str, open_page: OpenPage) -> None:
    alice = User.objects.create_user(email="alice@example.com", password=PASSWORD)
    chat = _chat(alice)
    ChatSession.objects.for_user(alice).filter(pk=chat.pk).update(model="999:gone")
    page = open_page(viewport=DESKTOP)
    sign_in_page(page, base_url, alice.email, then=f"/chats/{chat.pk}/")
    expect(page.locator("[data-role=model-name]")).to_have_text("Model not available")
    page.locator("[data-role=model-picker] summary").click()
    expect(page.locator("button[name=model][aria-current=true]")).to_have_count(0)


def test_an_operator_adds_and_tests_a_connection_in_the_admin(
    base_url: str, open_page: OpenPage, fake_openai: FakeOpenAIServer
) -> None:
    """The admin's form and its "Test connection" action, as an operator uses them: the
    server's models are listed, and a key the server refuses is said plainly, never shown."""
    User.objects.create_superuser(email="operator@example.com", password=PASSWORD)
    fake_openai.models = ["llama3:8b", "qwen2.5 中文"]
    page = open_page()
    add = "/admin/chats/modelconnection/add/"
    sign_in_page(page, base_url, "operator@example.com", then=add, scripts=False)
    page.fill("#id_name", "Labor-GPU ✨")
    page.fill("#id_base_url", fake_openai.base_url)
    page.fill("#id_api_key", "sk-kept-secret")
    page.fill("#id_model_names", "llama3:8b\nqwen2.5 中文")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    def test_it() -> None:
        page.locator("#result_list tr", has_text="Labor-GPU ✨").locator(".action-select").check()
        page.select_option("select[name=action]", "test_connection")
        page.click("button[name=index]")

    test_it()
    expect(page.locator(".messagelist .success")).to_have_text(
        "Labor-GPU ✨: Connected. The server has 2 model(s): llama3:8b, qwen2.5 中文."
    )
    fake_openai.required_key = "sk-the-right-one"
    test_it()
    refused = page.locator(".messagelist .error")
    expect(refused).to_contain_text("refused the API key (HTTP 401)")
    assert "sk-kept-secret" not in page.content()
