"""The cache (sessions, login counts) shares one Redis connection pool per process: under ASGI,
Django keeps its cache backends per request context, so each page view opened a connection."""

from accounts.models import User
from onyx_site.live_state import redis_client
from tests.conftest import PASSWORD
from tests.throwaway_services import browser_session


def _connections_redis_accepted() -> int:
    stats: dict[str, int] = redis_client().info("stats")  # type: ignore[assignment]
    return stats["total_connections_received"]


def test_page_views_under_asgi_open_no_new_redis_connections(alice: User, server_url: str) -> None:
    browser = browser_session(server_url, alice.email, PASSWORD)
    assert browser.get("/chats/").status_code == 200  # the pool has its connection now
    before = _connections_redis_accepted()
    for _ in range(20):
        page = browser.get("/chats/")
        assert page.status_code == 200
        assert "alice@example.com" in page.text  # the session was read from Redis each time
    assert _connections_redis_accepted() - before < 3
