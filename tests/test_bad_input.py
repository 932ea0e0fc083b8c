"""Odd or hostile input is a clear 4xx in JSON, and an unexpected failure is JSON too: no 500
pages from the API."""

import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from tests.conftest import api_tokens, bearer
from tests.factories import add_message

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000


def _post_raw(client: Client, path: str, body: str, headers: dict[str, str] | None = None) -> Any:
    return client.post(path, body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/auth/token/refresh/"])
def test_deeply_nested_json_to_the_token_endpoints_is_a_400(db: None, path: str) -> None:
    response = _post_raw(Client(), path, DEEP)
    assert response.status_code == 400
    assert response.json()["detail"] == "The JSON is nested too deeply."


def test_deeply_nested_json_as_a_message_is_a_400_and_stores_nothing(
    alice: User, alice_chat: ChatSession
) -> None:
    headers = bearer(api_tokens(Client(), alice)["access"])
    response = _post_raw(Client(), f"/api/chats/{alice_chat.pk}/messages/", DEEP, headers)
    assert response.status_code == 400
    assert response.json()["detail"] == "The JSON is nested too deeply."
    assert not ChatMessage.objects.for_user(alice).exists()


def test_a_json_body_over_the_limit_is_a_413(db: None, settings: Any) -> None:
    settings.ONYX_MAX_REQUEST_BYTES = 64 * 1024
    body = json.dumps({"email": "a@example.com", "password": "p" * (65 * 1024)})
    response = _post_raw(Client(), "/api/auth/token/", body)
    assert response.status_code == 413
    assert response.json()["detail"] == "A request body can be at most 64 KB."


def test_json_that_is_not_json_says_so(db: None) -> None:
    response = _post_raw(Client(), "/api/auth/token/", '{"email": NaN}')
    assert response.status_code == 400
    assert response.json()["detail"].startswith("The body is not valid JSON")


@pytest.mark.parametrize(
    "cursor", ["abc", "1e5", "-1", "9" * 40, "١٢", "🙂", "bob"], ids=lambda c: c.encode().hex()[:12]
)
def test_a_forged_message_cursor_is_a_json_400(
    alice: User, bob: User, alice_chat: ChatSession, cursor: str
) -> None:
    if cursor == "bob":  # a real message id, of someone else's chat
        bob_chat = ChatSession.objects.create(owner=bob)
        cursor = str(add_message(bob_chat, "user", "Bobs Geheimnis").pk)
    headers = bearer(api_tokens(Client(), alice)["access"])
    response = Client().get(
        f"/api/chats/{alice_chat.pk}/messages/", {"cursor": cursor}, headers=headers
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"cursor": ["This cursor does not belong to this chat."]}


def test_an_unexpected_api_failure_is_a_json_500(
    alice: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False
    headers = bearer(api_tokens(Client(), alice)["access"])

    def broken(user: User) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("chats.selectors.chats_for", broken)
    response = Client(raise_request_exception=False).get("/api/chats/", headers=headers)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "went wrong on the server" in response.json()["detail"]
