"""Named users and clients for tests, against the real PostgreSQL and Redis of `make test`."""

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pytest
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from accounts.models import User
from chats import catalogue
from chats.models import ChatMessage, ChatSession
from files.models import UserFile
from onyx_site.live_state import redis_client
from tests.asgi_server import running_asgi_server
from tests.db_connections import end_other_connections
from tests.fake_openai_server import fake_openai  # noqa: F401  (a fixture)
from tests.waiting import await_until, wait_until
from tests.workers import WorkerProcess, worker_thread

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def clean_redis() -> None:
    redis_client().flushdb()


@pytest.fixture(autouse=True)
def fresh_model_connections() -> None:
    """The process keeps the enabled model connections for a few seconds; an earlier test's
    (deleted with its database rows, unseen by the signal that drops them) must not linger."""
    catalogue.forget_connections()


@pytest.fixture
def worker(transactional_db: None) -> Iterator[None]:
    """A real worker of the task engine, writing replies and reading files for this test."""
    with worker_thread():
        yield


def wait_for_reply(user: User, reply_id: int, *, timeout: float = 15) -> ChatMessage:
    """The reply once it is finished (done, stopped or failed)."""
    return wait_until(
        lambda: (
            ChatMessage.objects.for_user(user)
            .filter(pk=reply_id, status__in=ChatMessage.FINISHED)
            .first()
        ),
        timeout=timeout,
        what=f"reply {reply_id} to finish",
    )


async def await_reply(user: User, reply_id: int, *, timeout: float = 15) -> ChatMessage:
    """wait_for_reply() for async tests. Each look is a short query: holding the thread that
    sync_to_async() shares for the whole wait would stall the worker, which needs it too."""

    async def finished() -> ChatMessage | None:
        return (
            await ChatMessage.objects.for_user(user)
            .filter(pk=reply_id, status__in=ChatMessage.FINISHED)
            .afirst()
        )

    return await await_until(finished, timeout=timeout, what=f"reply {reply_id} to finish")


def wait_for_file(user: User, file_id: int, *, timeout: float = 30) -> UserFile:
    """The file once it is read (ready or failed)."""
    return wait_until(
        lambda: (
            UserFile.objects.for_user(user)
            .filter(pk=file_id, status__in=[UserFile.Status.READY, UserFile.Status.FAILED])
            .first()
        ),
        timeout=timeout,
        what=f"file {file_id} to be read",
    )


def make_user(email: str, **extra: object) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice@example.com")


@pytest.fixture
def bob(db: None) -> User:
    return make_user("bob@example.com")


@pytest.fixture
def operator(db: None) -> User:
    return User.objects.create_superuser(email="operator@example.com", password=PASSWORD)


def sign_in(user: User, *, user_agent: str = "pytest-browser") -> Client:
    """A test client signed in through the real login form, as a browser would."""
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post("/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def api_tokens(client: Client, user: User) -> dict[str, str]:
    response = client.post(
        "/api/auth/token/",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    tokens: dict[str, str] = response.json()
    return tokens


def server_tokens(base_url: str, user: User) -> dict[str, str]:
    """A JWT pair from a running server, over HTTP. Browser tests use this, not the test
    Client: Playwright's event loop runs in the test's thread, and Django's in-process handler
    cannot run an async middleware (ServeStatic's) beside it."""
    response = httpx.post(
        f"{base_url}/api/auth/token/", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


def bearer(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


# What SecurityMiddleware, django-csp and XFrameOptionsMiddleware put on a page.
SECURITY_HEADERS = (
    "content-security-policy",
    "content-security-policy-report-only",
    "cross-origin-opener-policy",
    "referrer-policy",
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
)


def security_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The security headers among `headers`, by their names in lower case."""
    by_name = {name.lower(): value for name, value in headers.items()}
    return {name: by_name[name] for name in SECURITY_HEADERS if name in by_name}


def a_pages_security_headers(base_url: str | None = None) -> dict[str, str]:
    """Those of an ordinary page (the sign-in page), from a running server or the test
    Client; checked to hold the policy, nosniff, no framing and the referrer policy."""
    if base_url is None:
        headers = security_headers(Client().get("/login/").headers)
    else:
        headers = security_headers(httpx.get(f"{base_url}/login/").headers)
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"
    return headers


@pytest.fixture
def alice_client(alice: User) -> Client:
    return sign_in(alice)


@pytest.fixture
def bob_client(bob: User) -> Client:
    return sign_in(bob)


@pytest.fixture
def alice_tokens(alice: User) -> dict[str, str]:
    return api_tokens(Client(), alice)


@pytest.fixture
def alice_chat(alice: User) -> ChatSession:
    return ChatSession.objects.create(owner=alice, title="Alice's plans")


@pytest.fixture
def bob_chat(bob: User) -> ChatSession:
    return ChatSession.objects.create(owner=bob, title="Bob's secrets")


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def base_url(transactional_db: None, worker: None, browser: Browser) -> Iterator[str]:
    with running_asgi_server() as url:
        yield url


@pytest.fixture
def server_url(transactional_db: None) -> Iterator[str]:
    """A real uvicorn server and no worker: the test starts the worker processes it needs."""
    with running_asgi_server() as url:
        yield url


class WorkerProcesses:
    """Worker processes a test starts; any still running at its end are killed."""

    def __init__(self) -> None:
        self.started: list[WorkerProcess] = []

    def start(self, kind: str, **env: str) -> WorkerProcess:
        worker = WorkerProcess(kind, **env)
        self.started.append(worker)
        worker.wait_ready()
        return worker

    def kill_all(self) -> None:
        for worker in self.started:
            if worker.process.poll() is None:
                worker.kill()


@pytest.fixture
def worker_processes(transactional_db: None) -> Iterator[WorkerProcesses]:
    processes = WorkerProcesses()
    yield processes
    processes.kill_all()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module; each test opens its own contexts (see `open_page`). Not
    one per run: the sync API's event loop would stay in this thread for the tests after, and
    async_to_sync refuses to run beside it."""
    # Playwright's sync API keeps an event loop running in this thread from here on; Django
    # would take every ORM call of the tests (and of their database teardown) for async code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        # Local network access checks would block the socket of a page whose response a test
        # rewrote (route.fulfill has no address to tell it is local); every test is local.
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-features=LocalNetworkAccessChecks"],
        )
        yield browser
        browser.close()
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# The machine running the tests is often busy; a page's expectations get more than the
# default 5 s before they fail.
expect.set_options(timeout=10_000)

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
DARK_PHONE: dict[str, Any] = {"viewport": PHONE, "has_touch": True, "color_scheme": "dark"}
# Each part of the interface is tried on a desktop and on a phone in dark mode: a browser test
# taking `looks` opens its pages with `open_page(**looks)`.
at_desktop_and_dark_phone = pytest.mark.parametrize(
    "looks", [{"viewport": DESKTOP}, DARK_PHONE], ids=["desktop", "dark-phone"]
)


def on_a_phone(looks: dict[str, Any]) -> bool:
    return bool(looks.get("viewport") == PHONE)


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Pages in fresh browser contexts, closed after the test, which fails if any page logged a
    console error or threw: `open_page(viewport=PHONE, color_scheme="dark")`. Pass
    `context=` to open another tab of the same browser session, `expected_errors=` for console
    lines the test provokes on purpose (the browser logs every refused request itself)."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []

    expected: list[str] = []

    def open_one(
        *,
        context: BrowserContext | None = None,
        expected_errors: list[str] | None = None,
        **options: Any,
    ) -> Page:
        expected.extend(expected_errors or [])
        if context is None:
            options.setdefault("viewport", DESKTOP)
            # The reader's zone decides shown times and date groups: the same on every machine.
            options.setdefault("timezone_id", "UTC")
            context = browser.new_context(**options)
            contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                problems.append(f"{page.url}: {message.text}") if message.type == "error" else None
            ),
        )
        page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
        return page

    yield open_one
    for context in contexts:
        context.close()
    unexpected = [line for line in problems if not any(part in line for part in expected)]
    assert unexpected == [], unexpected


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Before the test database is dropped, end connections that server threads left open
    (uvicorn's and workers' pooled ones); PostgreSQL refuses to drop a database in use."""
    yield
    with django_db_blocker.unblock():
        end_other_connections()
