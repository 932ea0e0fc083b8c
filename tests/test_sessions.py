"""Browser sessions live in Redis, end after 24 hours, and can be seen and revoked."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts import session_registry
from accounts.models import User
from onyx_site.live_state import redis_client
from tests.conftest import PASSWORD, api_tokens, bearer, sign_in
from tests.factories import make_chat, make_file

pytestmark = pytest.mark.django_db

EXPIRED = b"Your session expired. Sign in again."


def _session_cache_keys(client: Client) -> list[str]:
    key = client.session.session_key
    assert key
    keys: list[str] = redis_client().keys(  # type: ignore[assignment]
        f"*django.contrib.sessions.cache{key}"
    )
    return keys


def test_the_session_is_a_key_in_redis(alice_client: Client) -> None:
    assert len(_session_cache_keys(alice_client)) == 1


def test_deleting_the_redis_key_signs_the_user_out_and_says_why(alice_client: Client) -> None:
    redis_client().delete(*_session_cache_keys(alice_client))
    response = alice_client.get("/chats/", follow=True)
    assert response.redirect_chain == [("/login/?next=/chats/", 302)]
    assert EXPIRED in response.content


def test_the_cookie_is_httponly_and_lax_and_only_holds_an_id(alice: User) -> None:
    client = Client()
    response = client.post("/login/", {"email": alice.email, "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert alice.email not in cookie.value
    assert int(cookie["max-age"]) <= 24 * 3600


def test_signing_in_cycles_the_session_key(alice: User) -> None:
    client = Client()
    client.get("/login/")
    session = client.session
    session["planted"] = "by an attacker"
    session.save()
    before = session.session_key
    client.post("/login/", {"email": alice.email, "password": PASSWORD})
    assert client.session.session_key != before


def test_a_session_is_refused_after_24_hours_even_if_used(alice: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = sign_in(alice)
        for hours in (6, 12, 18, 23):
            clock.move_to(start + timedelta(hours=hours))
            assert client.get("/chats/").status_code == 200
        clock.move_to(start + timedelta(hours=24, seconds=1))
        response = client.get("/chats/", follow=True)
    assert response.redirect_chain[0] == ("/login/?next=/chats/", 302)
    assert EXPIRED in response.content
    assert session_registry.list_sessions(alice.pk) == []


def test_idle_timeout_ends_an_unused_session(alice: User, settings) -> None:
    settings.ONYX_SESSION_IDLE_MINUTES = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = sign_in(alice)
        clock.move_to(start + timedelta(minutes=25))
        assert client.get("/chats/").status_code == 200
        clock.move_to(start + timedelta(minutes=50))
        assert client.get("/chats/").status_code == 200  # used 25 minutes ago
        clock.move_to(start + timedelta(minutes=81))
        assert client.get("/chats/").status_code == 302


def test_sessions_page_lists_browser_and_api_sessions(alice: User) -> None:
    browser = sign_in(alice, user_agent="Firefox on a laptop")
    api_tokens(Client(HTTP_USER_AGENT="curl/8"), alice)
    page = browser.get("/account/sessions/").content.decode()
    assert "Firefox on a laptop" in page
    assert "curl/8" in page
    assert "API client" in page
    assert "this session" in page


def test_revoking_a_jwt_session_from_the_page_kills_its_token(alice: User) -> None:
    browser = sign_in(alice)
    tokens = api_tokens(Client(), alice)
    api = Client()
    assert api.get("/api/auth/me/", headers=bearer(tokens["access"])).status_code == 200
    api_sid = next(s.sid for s in session_registry.list_sessions(alice.pk) if s.kind == "api")
    response = browser.post(f"/account/sessions/{api_sid}/revoke/")
    assert response.status_code == 302
    assert api.get("/api/auth/me/", headers=bearer(tokens["access"])).status_code == 401
    assert browser.get("/chats/").status_code == 200


def test_revoking_a_browser_session_from_the_page_signs_that_browser_out(alice: User) -> None:
    laptop, phone = sign_in(alice, user_agent="laptop"), sign_in(alice, user_agent="phone")
    phone_sid = phone.session["onyx_sid"]
    laptop.post(f"/account/sessions/{phone_sid}/revoke/")
    response = phone.get("/chats/", follow=True)
    assert b"You were signed out from another device. Sign in again." in response.content
    assert EXPIRED not in response.content
    assert laptop.get("/chats/").status_code == 200


def test_a_revoked_api_token_and_the_browsers_fetches_say_why(alice: User) -> None:
    laptop, phone = sign_in(alice, user_agent="laptop"), sign_in(alice, user_agent="phone")
    tokens = api_tokens(Client(), alice)
    laptop.post("/account/sessions/revoke-others/")
    revoked = "You were signed out from another device. Sign in again."
    me = Client().get("/api/auth/me/", headers=bearer(tokens["access"]))
    assert (me.status_code, me.json()["detail"]) == (401, revoked)
    fetched = phone.get("/api/chats/", HTTP_ACCEPT="application/json")
    assert (fetched.status_code, fetched.json()["detail"]) == (401, revoked)


def test_a_browser_api_call_without_its_csrf_token_says_what_to_do(alice: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.cookies = sign_in(alice).cookies
    response = browser.post("/api/chats/", {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "This page's security token is missing or out of date. Reload the page and try again."
    )


def test_an_api_call_without_credentials_says_how_to_sign_in(db: None) -> None:
    detail = Client().get("/api/chats/").json()["detail"]
    assert detail.startswith("Sign in first")
    assert "credentials were not provided" not in detail


def test_signing_out_all_other_sessions_keeps_this_one(alice: User) -> None:
    laptop, phone = sign_in(alice, user_agent="laptop"), sign_in(alice, user_agent="phone")
    tokens = api_tokens(Client(), alice)
    laptop.post("/account/sessions/revoke-others/")
    assert laptop.get("/chats/").status_code == 200
    assert phone.get("/chats/").status_code == 302
    assert Client().get("/api/auth/me/", headers=bearer(tokens["access"])).status_code == 401
    assert [s.user_agent for s in session_registry.list_sessions(alice.pk)] == ["laptop"]


def test_bob_cannot_revoke_alices_session(alice: User, bob: User) -> None:
    alice_client, bob_client = sign_in(alice), sign_in(bob)
    alice_sid = alice_client.session["onyx_sid"]
    assert bob_client.post(f"/account/sessions/{alice_sid}/revoke/").status_code == 404
    assert alice_client.get("/chats/").status_code == 200


def test_changing_the_password_ends_every_other_session(alice: User) -> None:
    laptop, phone = sign_in(alice, user_agent="laptop"), sign_in(alice, user_agent="phone")
    tokens = api_tokens(Client(), alice)
    new_password = "a brand new passphrase 77"
    response = laptop.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    assert laptop.get("/chats/").status_code == 200
    assert phone.get("/chats/").status_code == 302
    assert Client().get("/api/auth/me/", headers=bearer(tokens["access"])).status_code == 401
    alice.refresh_from_db()
    assert alice.check_password(new_password)


def test_a_wrong_old_password_changes_nothing(alice: User) -> None:
    laptop, phone = sign_in(alice, user_agent="laptop"), sign_in(alice, user_agent="phone")
    response = laptop.post(
        "/account/password/",
        {"old_password": "wrong", "new_password1": "x" * 20, "new_password2": "x" * 20},
    )
    assert response.status_code == 400
    assert b"old password was entered incorrectly" in response.content
    assert phone.get("/chats/").status_code == 200


def test_deactivating_a_user_ends_all_their_sessions(alice: User) -> None:
    browser = sign_in(alice)
    tokens = api_tokens(Client(), alice)
    alice.is_active = False
    alice.save()
    assert browser.get("/chats/").status_code == 302
    assert Client().get("/api/auth/me/", headers=bearer(tokens["access"])).status_code == 401
    assert session_registry.list_sessions(alice.pk) == []


def test_deleting_a_user_ends_all_their_sessions(alice: User) -> None:
    browser = sign_in(alice)
    tokens = api_tokens(Client(), alice)
    User.objects.filter(pk=alice.pk).delete()
    assert browser.get("/chats/").status_code == 302
    assert Client().get("/api/auth/me/", headers=bearer(tokens["access"])).status_code == 401
    refreshed = Client().post(
        "/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, "application/json"
    )
    assert refreshed.status_code == 401


def test_every_signed_in_page_has_the_sign_out_button(alice: User) -> None:
    chat = make_chat(owner=alice, title="Notizen 📝", messages=2)
    file = make_file(owner=alice, name="Liste.txt", chunks=["Äpfel, Birnen"])
    browser = sign_in(alice)
    pages = [
        "/chats/",
        f"/chats/{chat.pk}/",
        f"/chats/{chat.pk}/delete/",
        "/files/",
        f"/files/{file.pk}/",
        "/account/",
        "/account/sessions/",
    ]
    for path in pages:
        page = browser.get(path)
        assert page.status_code == 200, path
        assert b'action="/logout/"' in page.content, path
        assert b'data-testid="logout"' in page.content, path
