"""Client addresses and the scheme come from trusted proxies only: a rotating X-Forwarded-For
from anyone else does not dodge the per-address sign-in lockout, and X-Forwarded-Proto from
anyone else does not make a request count as HTTPS (a real uvicorn server, as the Procfile runs
it)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from accounts.models import User
from tests import workers
from tests.asgi_server import running_asgi_server
from tests.conftest import PASSWORD
from tests.test_configuration import PRODUCTION
from tests.throwaway_services import served_app

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


@contextmanager
def _production_server(directory: Path, *, forwarded_allow_ips: str) -> Iterator[str]:
    """uvicorn as the Procfile runs it (its default --proxy-headers, FORWARDED_ALLOW_IPS from
    the environment), with production settings: HTTPS redirect and HSTS on."""
    env = {
        **PRODUCTION,
        "DJANGO_SETTINGS_MODULE": "onyx_site.settings",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": workers.test_database_url(),
        "FORWARDED_ALLOW_IPS": forwarded_allow_ips,
    }
    # /healthz: the one path not redirected to HTTPS.
    with served_app(directory, ready_path="/healthz", **env) as url:
        yield url


def _get_me(url: str, **headers: str) -> httpx.Response:
    """The answer shows whether Django took the request for HTTPS (`request.is_secure()`):
    SecurityMiddleware redirects one that is not to https://, and gives one that is HSTS."""
    return httpx.get(f"{url}/api/auth/me/", headers=headers)


def test_an_untrusted_peer_cannot_claim_https(tmp_path: Path) -> None:
    # The proxy we trust is elsewhere: the test client's own connection is not it.
    with _production_server(tmp_path, forwarded_allow_ips="10.255.0.1") as url:
        claimed = _get_me(url, **{"X-Forwarded-Proto": "https"})
    assert claimed.status_code == 301
    assert claimed.headers["location"] == f"{url.replace('http:', 'https:')}/api/auth/me/"
    assert "strict-transport-security" not in claimed.headers


def test_a_trusted_proxy_passes_on_https(tmp_path: Path) -> None:
    with _production_server(tmp_path, forwarded_allow_ips="127.0.0.1") as url:
        over_https = _get_me(url, **{"X-Forwarded-Proto": "https"})
        over_http = _get_me(url)
    assert (over_https.status_code, over_https.json()["code"]) == (401, "not_authenticated")
    assert over_https.headers["strict-transport-security"].startswith("max-age=31536000")
    assert over_http.status_code == 301
