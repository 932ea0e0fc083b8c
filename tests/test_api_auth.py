"""JWT pairs bound to server-side sessions, and the rest of the auth API."""

from datetime import timedelta
from typing import Any

import jwt as pyjwt
import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts import session_registry
from accounts.models import User
from tests.conftest import PASSWORD, api_tokens, bearer, sign_in

pytestmark = pytest.mark.django_db


def _post(
    client: Client, path: str, body: dict[str, str], headers: dict[str, str] | None = None
) -> Any:
    return client.post(path, body, content_type="application/json", headers=headers)


def test_token_pair_for_good_credentials(alice: User) -> None:
    tokens = api_tokens(Client(), alice)
    me = Client().get("/api/auth/me/", headers=bearer(tokens["access"]))
    assert me.status_code == 200
    assert me.json() == {"id": alice.pk, "email": "alice@example.com", "role": "basic"}


def test_bad_credentials_are_a_401_with_a_json_message(alice: User) -> None:
    response = _post(Client(), "/api/auth/token/", {"email": alice.email, "password": "nope"})
    assert response.status_code == 401
    assert response.json()["detail"] == "That email and password do not match an account."


def test_missing_fields_are_a_400_with_a_json_message(db: None) -> None:
    response = _post(Client(), "/api/auth/token/", {"email": "not-an-email"})
    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Some fields are not valid."
    assert set(body["errors"]) == {"email", "password"}


def test_api_login_is_throttled_with_429(alice: User, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    codes = [
        _post(client, "/api/auth/token/", {"email": alice.email, "password": "x"}).status_code
        for _ in range(2)
    ]
    assert codes == [401, 429]
    response = _post(client, "/api/auth/token/", {"email": alice.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.json()["detail"]


def test_anonymous_api_calls_are_401_json(db: None) -> None:
    response = Client().get("/api/auth/me/")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_access_token_carries_the_session_id(alice: User) -> None:
    tokens = api_tokens(Client(), alice)
    claims = pyjwt.decode(tokens["access"], options={"verify_signature": False})
    [session] = session_registry.list_sessions(alice.pk)
    assert claims["sid"] == session.sid
    assert session.kind == "api"


def test_after_logout_the_same_tokens_are_refused(alice: User) -> None:
    tokens = api_tokens(Client(), alice)
    api = Client()
    assert _post(api, "/api/auth/logout/", {}, headers=bearer(tokens["access"])).status_code == 204
    assert api.get("/api/auth/me/", headers=bearer(tokens["access"])).status_code == 401
    refreshed = _post(api, "/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 401
    assert session_registry.list_sessions(alice.pk) == []


def test_refresh_rotates_to_a_new_pair(alice: User) -> None:
    tokens = api_tokens(Client(), alice)
    api = Client()
    first = _post(api, "/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert first.status_code == 200
    new = first.json()
    assert new["refresh"] != tokens["refresh"]
    assert api.get("/api/auth/me/", headers=bearer(new["access"])).status_code == 200
    assert _post(api, "/api/auth/token/refresh/", {"refresh": new["refresh"]}).status_code == 200


def test_a_reused_refresh_token_ends_its_whole_session(alice: User) -> None:
    """A thief and the rightful holder both hold the session: whoever refreshes second with
    the same token ends it for both, the newer tokens included."""
    stolen = api_tokens(Client(), alice)
    api = Client()
    rightful = _post(api, "/api/auth/token/refresh/", {"refresh": stolen["refresh"]}).json()
    again = _post(api, "/api/auth/token/refresh/", {"refresh": stolen["refresh"]})
    assert again.status_code == 401
    assert "used again" in again.json()["detail"]
    later = _post(api, "/api/auth/token/refresh/", {"refresh": rightful["refresh"]})
    assert later.status_code == 401
    assert "used again" in later.json()["detail"]
    me = api.get("/api/auth/me/", headers=bearer(rightful["access"]))
    assert me.status_code == 401
    assert "used again" in me.json()["detail"]
    assert session_registry.list_sessions(alice.pk) == []


def test_an_access_token_is_not_a_refresh_token(alice: User) -> None:
    tokens = api_tokens(Client(), alice)
    response = _post(Client(), "/api/auth/token/refresh/", {"refresh": tokens["access"]})
    assert response.status_code == 401


def test_refresh_cannot_carry_a_session_past_24_hours(alice: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        tokens = api_tokens(Client(), alice)
        clock.move_to(start + timedelta(hours=23, minutes=58))
        response = _post(Client(), "/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
        assert response.status_code == 200
        pair = response.json()
        session_end = (start + timedelta(hours=24)).timestamp()
        for token in pair.values():
            claims = pyjwt.decode(token, options={"verify_signature": False})
            assert claims["exp"] <= session_end
        clock.move_to(start + timedelta(hours=24, seconds=1))
        late = _post(Client(), "/api/auth/token/refresh/", {"refresh": pair["refresh"]})
        assert late.status_code == 401
        assert Client().get("/api/auth/me/", headers=bearer(pair["access"])).status_code == 401


def test_sessions_api_lists_and_marks_the_current_one(alice: User) -> None:
    sign_in(alice, user_agent="browser-ua")
    tokens = api_tokens(Client(HTTP_USER_AGENT="api-ua"), alice)
    response = Client().get("/api/auth/sessions/", headers=bearer(tokens["access"]))
    assert response.status_code == 200
    rows = {row["user_agent"]: row for row in response.json()}
    assert set(rows) == {"browser-ua", "api-ua"}
    assert rows["api-ua"]["current"] is True
    assert rows["browser-ua"]["current"] is False
    assert rows["browser-ua"]["kind"] == "browser"
    assert {"id", "created_at", "last_seen", "expires_at", "ip"} <= set(rows["api-ua"])


def test_deleting_a_session_through_the_api_signs_that_browser_out(alice: User) -> None:
    browser = sign_in(alice)
    tokens = api_tokens(Client(), alice)
    sid = browser.session["onyx_sid"]
    response = Client().delete(f"/api/auth/sessions/{sid}/", headers=bearer(tokens["access"]))
    assert response.status_code == 204
    assert browser.get("/chats/").status_code == 302


def test_bob_gets_404_for_alices_session(alice: User, bob: User) -> None:
    alice_browser = sign_in(alice)
    bob_tokens = api_tokens(Client(), bob)
    sid = alice_browser.session["onyx_sid"]
    response = Client().delete(f"/api/auth/sessions/{sid}/", headers=bearer(bob_tokens["access"]))
    assert response.status_code == 404
    assert response.json() == {"detail": "No such session."}
    assert alice_browser.get("/chats/").status_code == 200


def test_browsable_api_works_with_the_browser_session(alice_client: Client) -> None:
    response = alice_client.get("/api/auth/me/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"alice@example.com" in response.content


def test_schema_and_docs_are_served(db: None) -> None:
    schema = Client().get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/auth/token/" in schema.content
    assert Client().get("/api/docs/").status_code == 200


def test_unknown_api_path_is_a_json_404(alice_tokens: dict[str, str]) -> None:
    response = Client().get("/api/nothing-here/", headers=bearer(alice_tokens["access"]))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_an_authenticated_api_request_needs_no_database_query(
    alice: User, django_assert_num_queries: Any
) -> None:
    client, headers = Client(), bearer(api_tokens(Client(), alice)["access"])
    assert client.get("/api/auth/me/", headers=headers).status_code == 200  # fills the cache
    with django_assert_num_queries(0):
        assert client.get("/api/auth/me/", headers=headers).json()["email"] == alice.email


def test_a_changed_user_is_seen_at_once_despite_the_cache(alice: User) -> None:
    client, headers = Client(), bearer(api_tokens(Client(), alice)["access"])
    assert client.get("/api/auth/me/", headers=headers).json()["role"] == "basic"
    alice.email, alice.role = "alice.müller@example.com", User.Role.ADMIN
    alice.save()
    me = client.get("/api/auth/me/", headers=headers).json()
    assert (me["email"], me["role"]) == ("alice.müller@example.com", "admin")
