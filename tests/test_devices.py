"""Sessions name their devices the way people do, on the page and in the API."""

import pytest
from django.test import Client

from accounts.devices import device_name
from accounts.models import User
from tests.conftest import api_tokens, bearer, sign_in

CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize(
    ("user_agent", "named"),
    [
        (CHROME_LINUX, "Chrome on Linux"),
        (SAFARI_IPHONE, "Safari on iPhone"),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
            "Firefox on Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
            "Chrome on iPad",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36",
            "Chrome on ChromeOS",
        ),
        ("python-httpx/0.28.1", "python-httpx"),
        ("curl/8.5.0", "curl"),
        ("", "Unknown device"),
        ("   ", "Unknown device"),
        ("Мой клиент/1.0 😀", "Мой клиент"),
    ],
)
def test_devices_are_named_for_people(user_agent: str, named: str) -> None:
    assert device_name(user_agent) == named


@pytest.mark.django_db
def test_the_sessions_page_and_api_name_the_devices(alice: User) -> None:
    browser = sign_in(alice, user_agent=CHROME_LINUX)
    tokens = api_tokens(Client(HTTP_USER_AGENT=SAFARI_IPHONE), alice)
    page = browser.get("/account/sessions/").content.decode()
    assert 'data-role="device" title="Mozilla/5.0 (X11; Linux x86_64)' in page
    assert ">Chrome on Linux</p>" in page
    assert ">Safari on iPhone</p>" in page
    listed = Client().get("/api/auth/sessions/", headers=bearer(tokens["access"])).json()
    sessions = listed["results"] if isinstance(listed, dict) else listed
    assert sorted(s["device"] for s in sessions) == ["Chrome on Linux", "Safari on iPhone"]
