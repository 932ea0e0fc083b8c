"""Client addresses come from trusted proxies only: a rotating X-Forwarded-For from anyone else
does not dodge the per-address sign-in lockout (a real uvicorn server, as the Procfile runs it)."""

from typing import Any

import httpx
import pytest

from accounts.models import User
from tests.asgi_server import running_asgi_server
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def _failures_with_rotating_forwarded_for(base_url: str, attempts: int) -> list[int]:
    """Wrong passwords for different emails, each claiming to come from another address."""
    codes = []
    for n in range(attempts):
        response = httpx.post(
            f"{base_url}/api/auth/token/",
            json={"email": f"guess{n}@example.com", "password": "wrong"},
            headers={"X-Forwarded-For": f"203.0.113.{n + 1}"},
        )
        codes.append(response.status_code)
    return codes


def test_an_untrusted_peer_cannot_pick_its_address(alice: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    # The proxy we trust is elsewhere: the test client's own connection is not it.
    with running_asgi_server(proxy_headers=True, forwarded_allow_ips="10.255.0.1") as url:
        assert _failures_with_rotating_forwarded_for(url, 5) == [401, 401, 429, 429, 429]
        right = httpx.post(
            f"{url}/api/auth/token/",
            json={"email": alice.email, "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.77"},
        )
    assert right.status_code == 429
    assert "Too many failed sign-in attempts" in right.json()["detail"]


def test_a_trusted_proxy_passes_on_each_clients_address(alice: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    with running_asgi_server(proxy_headers=True, forwarded_allow_ips="127.0.0.1") as url:
        # Five different clients behind the proxy, one failure each: nobody is locked out.
        assert _failures_with_rotating_forwarded_for(url, 5) == [401] * 5
