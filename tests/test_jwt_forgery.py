"""Access tokens nobody signed with our key are refused, by the API and by the socket: no
algorithm ("alg": "none"), another key, a changed claim, an expired token, a refresh token."""

import base64
import json
from datetime import timedelta
from typing import Any

import jwt as pyjwt
import pytest
import time_machine
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.backends import TokenBackend

from accounts.jwt import ACCESS_NOT_VALID
from accounts.models import User
from onyx_site.asgi import application
from tests.conftest import api_tokens, bearer, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = pyjwt.decode(token, options={"verify_signature": False})
    return claims


def _unsigned(token: str) -> str:
    """The same claims with "alg": "none" and no signature."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(token))}."


def _signed_elsewhere(token: str) -> str:
    return pyjwt.encode(_claims(token), "a-key-that-is-not-ours-" * 3, algorithm="HS256")


def _as_bob(token: str, bob: User) -> str:
    """Alice's token with bob's user id in its payload, and alice's signature kept."""
    header, _, signature = token.split(".")
    return f"{header}.{_b64({**_claims(token), 'user_id': bob.pk})}.{signature}"


def _refused_by_api(token: str) -> None:
    response = Client().get("/api/auth/me/", headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == {"detail": ACCESS_NOT_VALID, "code": "token_not_valid"}


async def _refused_by_socket(token: str) -> None:
    socket = WebsocketCommunicator(
        application, "/ws/", headers=[(b"authorization", f"Bearer {token}".encode())]
    )
    await socket.connect(timeout=5)
    closed = await socket.receive_output(timeout=5)
    assert (closed["type"], closed.get("code")) == ("websocket.close", 4401)


@pytest.mark.parametrize("forge", ["unsigned", "signed_elsewhere", "as_bob", "refresh"])
async def test_a_forged_access_token_is_refused_by_the_api_and_the_socket(forge: str) -> None:
    alice = await sync_to_async(make_user)("alice@example.com")
    bob = await sync_to_async(make_user)("bob@example.com")
    tokens = await sync_to_async(api_tokens)(Client(), alice)
    forged = {
        "unsigned": lambda: _unsigned(tokens["access"]),
        "signed_elsewhere": lambda: _signed_elsewhere(tokens["access"]),
        "as_bob": lambda: _as_bob(tokens["access"], bob),
        "refresh": lambda: tokens["refresh"],
    }[forge]()
    await sync_to_async(_refused_by_api)(forged)
    await _refused_by_socket(forged)
    # The genuine token still works: only the forgery was refused.
    me = await sync_to_async(Client().get)("/api/auth/me/", headers=bearer(tokens["access"]))
    assert me.json()["email"] == "alice@example.com"


def test_an_expired_access_token_is_refused() -> None:
    alice = make_user("alice@example.com")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        tokens = api_tokens(Client(), alice)
        clock.move_to(start + timedelta(minutes=5, seconds=1))  # ONYX_JWT_ACCESS_MINUTES
        _refused_by_api(tokens["access"])
        refreshed = Client().post(
            "/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, "application/json"
        )
        assert refreshed.status_code == 200  # the session lives on: a new access token


def test_a_token_seen_before_is_refused_once_it_expires() -> None:
    alice = make_user("elodie@example.com")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        tokens = api_tokens(Client(), alice)
        me = Client().get("/api/auth/me/", headers=bearer(tokens["access"]))
        assert me.json()["email"] == "elodie@example.com"  # its signature checked, and kept
        clock.move_to(start + timedelta(minutes=5, seconds=1))
        _refused_by_api(tokens["access"])


def test_a_signature_is_checked_once_and_the_session_on_every_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice = make_user("alice@example.com")
    tokens = api_tokens(Client(), alice)
    decoded: list[object] = []
    decode = TokenBackend.decode

    def counted(self: TokenBackend, token: Any, verify: bool = True) -> dict[str, Any]:
        decoded.append(token)
        return decode(self, token, verify)

    monkeypatch.setattr(TokenBackend, "decode", counted)
    api = Client()
    for _ in range(3):
        assert api.get("/api/auth/me/", headers=bearer(tokens["access"])).status_code == 200
    assert len(decoded) == 1
    logout = api.post("/api/auth/logout/", headers=bearer(tokens["access"]))
    assert logout.status_code == 204
    refused = api.get("/api/auth/me/", headers=bearer(tokens["access"]))
    assert refused.status_code == 401  # the kept signature did not keep the session alive
    assert len(decoded) == 1
