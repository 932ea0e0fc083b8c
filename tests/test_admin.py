"""Operators manage users in /admin/; nobody else gets in."""

import pytest
from django.test import Client

from accounts import session_registry
from accounts.models import User
from tests.conftest import api_tokens, bearer, sign_in

pytestmark = pytest.mark.django_db


def test_a_basic_user_cannot_reach_the_admin(alice_client: Client) -> None:
    response = alice_client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert alice_client.get("/admin/accounts/user/").status_code == 302


def test_anonymous_is_sent_to_the_admin_login(client: Client) -> None:
    assert client.get("/admin/accounts/user/").status_code == 302


def test_an_operator_searches_and_filters_users(operator: User, alice: User, bob: User) -> None:
    client = sign_in(operator)
    found = client.get("/admin/accounts/user/", {"q": "ALICE"})
    assert found.status_code == 200
    assert b"alice@example.com" in found.content
    assert b"bob@example.com" not in found.content
    filtered = client.get("/admin/accounts/user/", {"role__exact": "admin"})
    assert b"operator@example.com" in filtered.content
    assert b"alice@example.com" not in filtered.content


def test_the_revoke_sessions_action_ends_every_session_of_the_selected(
    operator: User, alice: User, bob: User
) -> None:
    alice_browser = sign_in(alice)
    alice_api = api_tokens(Client(), alice)
    bob_browser = sign_in(bob)
    admin = sign_in(operator)
    response = admin.post(
        "/admin/accounts/user/",
        {"action": "revoke_sessions", "_selected_action": [alice.pk]},
        follow=True,
    )
    assert b"2 session(s) ended." in response.content
    assert alice_browser.get("/chats/").status_code == 302
    assert Client().get("/api/auth/me/", headers=bearer(alice_api["access"])).status_code == 401
    assert bob_browser.get("/chats/").status_code == 200


def test_deactivating_in_the_admin_ends_the_users_sessions(operator: User, alice: User) -> None:
    alice_browser = sign_in(alice)
    admin = sign_in(operator)
    admin.post("/admin/accounts/user/", {"action": "deactivate", "_selected_action": [alice.pk]})
    alice.refresh_from_db()
    assert alice.is_active is False
    assert alice_browser.get("/chats/").status_code == 302
    assert session_registry.list_sessions(alice.pk) == []


def test_an_operator_creates_a_user_in_the_admin(operator: User) -> None:
    admin = sign_in(operator)
    password = "an operator chosen pass 9"
    response = admin.post(
        "/admin/accounts/user/add/",
        {
            "email": "Carol@Example.com",
            "usable_password": "true",
            "password1": password,
            "password2": password,
        },
    )
    assert response.status_code == 302
    assert User.objects.get(email="carol@example.com").check_password(password)
