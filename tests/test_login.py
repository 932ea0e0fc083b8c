"""Signing in, up and out through the pages."""

from datetime import timedelta
from typing import Any, cast

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.core.cache import caches
from django.test import Client

from accounts import session_registry
from accounts.login_throttle import AXES_KEY_PREFIX
from accounts.models import User
from onyx_site.live_state import redis_client
from tests.conftest import PASSWORD, make_user, sign_in
from tests.waiting import wait_until

pytestmark = pytest.mark.django_db


def test_login_page_renders_a_csrf_protected_form(client: Client) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in response.content
    assert b'name="email"' in response.content


def test_alice_signs_in_and_lands_on_chats(alice: User) -> None:
    client = Client()
    response = client.post("/login/", {"email": alice.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/chats/"
    assert client.get("/chats/").status_code == 200


def test_login_follows_a_safe_next_but_not_an_external_one(alice: User) -> None:
    client = Client()
    safe = client.post("/login/?next=/account/", {"email": alice.email, "password": PASSWORD})
    assert safe["Location"] == "/account/"
    other = Client().post(
        "/login/", {"email": alice.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert other["Location"] == "/chats/"


def test_wrong_password_is_a_form_error_and_no_session(alice: User) -> None:
    client = Client()
    response = client.post("/login/", {"email": alice.email, "password": "wrong"})
    assert response.status_code == 400
    assert b"do not match an account" in response.content
    assert session_registry.list_sessions(alice.pk) == []
    assert client.get("/chats/").status_code == 302


def test_unknown_email_gets_the_same_error_as_a_wrong_password(db: None) -> None:
    response = Client().post("/login/", {"email": "nobody@example.com", "password": "x"})
    assert response.status_code == 400
    assert b"do not match an account" in response.content


def test_email_login_is_case_insensitive(alice: User) -> None:
    response = Client().post("/login/", {"email": "  ALICE@Example.COM ", "password": PASSWORD})
    assert response.status_code == 302


def test_passwords_are_stored_as_argon2_hashes(alice: User) -> None:
    alice.refresh_from_db()
    assert identify_hasher(alice.password).algorithm == "argon2"
    assert PASSWORD not in alice.password


def test_two_accounts_cannot_share_an_email_in_another_case(alice: User) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        make_user("ALICE@example.com")  # normalised on save, so the plain unique index trips
    with pytest.raises(IntegrityError), transaction.atomic():
        # bulk_create skips save(): the case-insensitive constraint is what stops it
        User.objects.bulk_create([User(email="Alice@Example.com")])


def test_anonymous_visitor_is_sent_to_login_with_next(client: Client) -> None:
    for path in ("/chats/", "/account/", "/account/sessions/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={path}"


def _fail(client: Client, email: str) -> int:
    return client.post("/login/", {"email": email, "password": "not-it"}).status_code


def test_repeated_failures_for_one_email_lock_it_with_429(alice: User, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    assert [_fail(client, alice.email) for _ in range(2)] == [400, 400]
    assert _fail(client, alice.email) == 429
    locked = client.post("/login/", {"email": alice.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed sign-in attempts" in locked.content


def test_lockout_counts_the_email_in_any_case(alice: User, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    client = Client()
    _fail(client, "ALICE@example.com")
    _fail(client, "alice@EXAMPLE.com")
    assert client.post("/login/", {"email": alice.email, "password": PASSWORD}).status_code == 429


def test_repeated_failures_from_one_ip_lock_that_ip(alice: User, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="10.9.8.7")
    for n in range(3):
        _fail(client, f"someone{n}@example.com")
    response = client.post("/login/", {"email": alice.email, "password": PASSWORD})
    assert response.status_code == 429
    other_ip = Client(REMOTE_ADDR="10.9.8.8")
    assert other_ip.post("/login/", {"email": alice.email, "password": PASSWORD}).status_code == 302


def test_success_resets_the_failure_count(alice: User, settings) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    _fail(client, alice.email)
    _fail(client, alice.email)
    assert client.post("/login/", {"email": alice.email, "password": PASSWORD}).status_code == 302
    fresh = Client()
    assert [_fail(fresh, alice.email) for _ in range(2)] == [400, 400]


def _lockout_keys(settings: Any) -> list[str]:
    """The Redis keys that hold axes' failure counts (accounts/login_throttle.py)."""
    pattern = caches[settings.AXES_CACHE].make_key(f"{AXES_KEY_PREFIX}*")
    return list(redis_client().scan_iter(match=pattern))


def test_lockout_ends_after_the_cool_off(alice: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    cool_off = timedelta(minutes=10)  # far longer than the asserts below could ever take
    settings.AXES_COOLOFF_TIME = cool_off
    client = Client()
    _fail(client, alice.email)
    assert _fail(client, alice.email) == 429

    # Even the right password is refused while locked out (and does not count as a failure).
    def sign_in_status() -> int:
        return client.post("/login/", {"email": alice.email, "password": PASSWORD}).status_code

    assert sign_in_status() == 429
    # The lockout lives in Redis keys that expire with the cool-off, not sooner or later...
    keys = _lockout_keys(settings)
    assert keys
    for key in keys:
        left = cast(int, redis_client().ttl(key))
        assert cool_off.total_seconds() - 60 < left <= cool_off.total_seconds()
    # ...so the cool-off has passed once they are gone: age them (a moved clock cannot).
    for key in keys:
        redis_client().pexpire(key, 1)
    wait_until(lambda: not _lockout_keys(settings), what="the lockout's keys to expire")
    assert sign_in_status() == 302


def test_logout_is_post_only(alice_client: Client) -> None:
    assert alice_client.get("/logout/").status_code == 405
    assert alice_client.get("/chats/").status_code == 200


def test_logout_deletes_the_session_and_says_so(alice: User, alice_client: Client) -> None:
    session_key = alice_client.session.session_key
    response = alice_client.post("/logout/", follow=True)
    assert response.redirect_chain[0] == ("/login/", 302)
    assert b"You are signed out." in response.content
    assert session_registry.list_sessions(alice.pk) == []
    assert not redis_client().keys(f"*{session_key}*")
    assert alice_client.get("/chats/").status_code == 302


def test_logout_needs_the_csrf_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.post("/login/", {"email": alice.email, "password": PASSWORD})
    assert client.post("/logout/").status_code == 403


def test_signup_creates_an_account_and_signs_in(db: None, settings) -> None:
    settings.ONYX_ALLOW_SIGNUP = True
    client = Client()
    response = client.post(
        "/signup/",
        {"email": "New@Example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert user.role == User.Role.BASIC
    assert client.get("/chats/").status_code == 200


def test_signup_refuses_a_weak_password_and_a_taken_email(alice: User, settings) -> None:
    settings.ONYX_ALLOW_SIGNUP = True
    weak = Client().post(
        "/signup/", {"email": "c@example.com", "password1": "123", "password2": "123"}
    )
    assert weak.status_code == 400
    assert b"too short" in weak.content
    taken = Client().post(
        "/signup/", {"email": "ALICE@example.com", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert taken.status_code == 400
    assert b"already exists" in taken.content


def test_signup_can_be_switched_off(db: None, settings) -> None:
    settings.ONYX_ALLOW_SIGNUP = False
    assert Client().get("/signup/").status_code == 404


def test_preferences_are_kept_on_the_server_for_every_device(alice: User) -> None:
    phone, laptop = sign_in(alice, user_agent="phone"), sign_in(alice, user_agent="laptop")
    response = phone.post("/account/preferences/", {"theme": "dark", "send_shortcut": "ctrl_enter"})
    assert response.status_code == 302
    page = laptop.get("/account/").content.decode()
    assert 'data-theme="dark"' in page
    assert 'data-send-shortcut="ctrl_enter"' in page


def test_bad_preference_value_is_a_form_error(alice_client: Client) -> None:
    response = alice_client.post("/account/preferences/", {"theme": "neon", "send_shortcut": "x"})
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content


def test_a_failure_counted_while_a_success_resets_the_count_is_no_server_error(
    alice: User, bob: User, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice fails and bob signs in from the same address at the same moment: his success
    resets the address's count between axes' add() and incr() of hers (schemathesis found
    the 500 this was, with two clients at once)."""
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_LOCKOUT_PARAMETERS = ["ip_address"]  # one count: the address's
    _fail(Client(), alice.email)
    counts = type(caches[settings.AXES_CACHE])
    add = counts.add

    def add_while_bob_signs_in(self: Any, key: str, *args: Any, **kwargs: Any) -> bool:
        added: bool = add(self, key, *args, **kwargs)
        if not added:
            sign_in(bob)  # resets the address's count (AXES_RESET_ON_SUCCESS)
        return added

    monkeypatch.setattr(counts, "add", add_while_bob_signs_in)
    assert _fail(Client(), alice.email) == 400  # a form error, not a 500
    monkeypatch.undo()
    # Her failure counted from zero after the reset: two more lock the address (limit 3).
    assert [_fail(Client(), alice.email) for _ in range(2)] == [400, 429]
