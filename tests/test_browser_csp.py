"""A Content-Security-Policy on every page, and everything still works under it in Chromium:
our pages (no violation at all), the admin, the browsable API and the Swagger docs."""

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, expect

from accounts.models import User
from tests.browser_helpers import sign_in_page
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class WatchedPage:
    """A page, and every Content-Security-Policy refusal Chromium reported on it."""

    def __init__(self, browser: Browser) -> None:
        self.page = browser.new_page()
        self.violations: list[str] = []
        self.page.on("console", self._note)

    def _note(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(message.text)


@pytest.fixture
def watched(browser: Browser) -> Iterator[WatchedPage]:
    watched = WatchedPage(browser)
    yield watched
    watched.page.close()


@pytest.mark.parametrize("path", ["/login/", "/api/", "/api/docs/", "/admin/login/"])
def test_every_page_carries_the_policy(base_url: str, path: str) -> None:
    policy = httpx.get(f"{base_url}{path}").headers["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "style-src 'self'"):
        assert directive in policy
    assert "unsafe-inline" not in policy


def test_our_pages_work_without_a_single_violation(base_url: str, watched: WatchedPage) -> None:
    page = watched.page
    User.objects.create_user(email="alice@example.com", password=PASSWORD)
    sign_in_page(page, base_url, "alice@example.com")
    expect(page.locator("html")).to_have_attribute("data-live", "open")  # the socket connects
    page.click("[data-testid=new-chat]")
    expect(page.locator("html")).to_have_attribute("data-live", "open")
    page.fill("#composer textarea", "Grüß dich! 你好 🙂")
    page.keyboard.press("Enter")
    reply = page.locator(".message.assistant").last
    expect(reply).to_have_attribute("data-status", "done", timeout=15_000)
    for path in ("/chats/", "/files/", "/account/", "/account/sessions/"):
        page.goto(f"{base_url}{path}")
        expect(page.locator("h1")).to_be_visible()
    assert watched.violations == []


def test_the_admin_works_under_the_policy(base_url: str, watched: WatchedPage) -> None:
    page = watched.page
    User.objects.create_superuser(email="operator@example.com", password=PASSWORD)
    User.objects.create_user(email="zoë@example.com", password=PASSWORD)
    page.goto(f"{base_url}/admin/")
    page.fill("input[name=username]", "operator@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.goto(f"{base_url}/admin/accounts/user/")
    page.fill("#searchbar", "zoë")
    page.keyboard.press("Enter")
    expect(page.locator("#result_list")).to_contain_text("zoë@example.com")
    page.check("#action-toggle")  # the admin's JavaScript ticks every row
    expect(page.locator("input.action-select").first).to_be_checked()
    assert watched.violations == []


def test_the_browsable_api_works_under_the_policy(base_url: str, watched: WatchedPage) -> None:
    page = watched.page
    User.objects.create_user(email="alice@example.com", password=PASSWORD)
    sign_in_page(page, base_url, "alice@example.com")
    page.goto(f"{base_url}/api/chats/")
    expect(page.locator(".response-info")).to_contain_text('"results"')
    # The API reads JSON only, so DRF offers its raw-data form (sent by its ajax-form.js).
    form = page.locator("#post-generic-content-form")
    expect(form.locator("select[name=_content_type]")).to_have_value("application/json")
    form.locator("textarea[name=_content]").fill('{"title": "Über Tokio 東京"}')
    form.locator("button.btn-primary").click()
    expect(page.locator(".response-info")).to_contain_text("Über Tokio 東京")
    # DRF's own templates and its vendored jQuery/Bootstrap 3 trip a few refusals (style=""
    # attributes, an event handler that jQuery probes for): the form and the request above
    # work regardless, which is what this asserts.


def test_the_swagger_docs_work_under_the_policy(base_url: str, watched: WatchedPage) -> None:
    page = watched.page
    page.goto(f"{base_url}/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)
    expect(page.locator(".swagger-ui")).to_contain_text("/api/chats/")
    assert watched.violations == []
