"""Health endpoints for load balancers: /healthz always, /readyz only with its services."""

import socket

import pytest
import redis
from django.test import Client

from onyx_site import health


@pytest.mark.django_db
def test_healthz_answers_anyone_without_touching_anything(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_readyz_checks_postgresql_and_redis(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"postgresql": True, "redis": True}}


@pytest.mark.django_db
def test_readyz_is_503_when_redis_cannot_be_reached(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    unreachable = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    monkeypatch.setattr(health, "redis_client", lambda: unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"postgresql": True, "redis": False}
