"""Any password change, by anyone and any way, ends every session of that user, except the
session making its own change."""

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.management.commands.changepassword import Command as ChangePassword
from django.core.management import call_command
from django.test import Client

from accounts import session_registry
from accounts.models import User
from onyx_site.asgi import application
from tests.conftest import PASSWORD, api_tokens, bearer, make_user, sign_in
from tests.waiting import receive_until

NEW_PASSWORD = "Ünïcode pass phrase 東京 🙂 42"
CHANGED = "Your password was changed, so you were signed out. Sign in again."


def _all_signed_out(user: User, browser: Client, tokens: dict[str, str]) -> None:
    page = browser.get("/chats/", follow=True)
    assert page.redirect_chain[0][0].startswith("/login/")
    assert CHANGED.encode() in page.content
    me = Client().get("/api/auth/me/", headers=bearer(tokens["access"]))
    assert (me.status_code, me.json()["detail"]) == (401, CHANGED)
    refresh = Client().post(
        "/api/auth/token/refresh/", {"refresh": tokens["refresh"]}, content_type="application/json"
    )
    assert (refresh.status_code, refresh.json()["detail"]) == (401, CHANGED)


@pytest.mark.django_db
def test_an_operator_setting_a_password_in_the_admin_signs_the_user_out_everywhere(
    operator: User, alice: User
) -> None:
    browser, tokens = sign_in(alice), api_tokens(Client(), alice)
    admin = sign_in(operator)
    response = admin.post(
        f"/admin/accounts/user/{alice.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    _all_signed_out(alice, browser, tokens)
    assert session_registry.list_sessions(alice.pk) == []
    assert admin.get("/admin/").status_code == 200  # the operator's own session is not touched


@pytest.mark.django_db
def test_an_operator_changing_their_own_password_in_the_admin_stays_signed_in(
    operator: User,
) -> None:
    admin, other_device = sign_in(operator), sign_in(operator, user_agent="phone")
    response = admin.post(
        f"/admin/accounts/user/{operator.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302
    assert admin.get("/admin/").status_code == 200
    assert other_device.get("/chats/").status_code == 302


@pytest.mark.django_db
def test_manage_py_changepassword_signs_the_user_out_everywhere(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    browser, tokens = sign_in(alice), api_tokens(Client(), alice)
    monkeypatch.setattr(ChangePassword, "_get_pass", lambda self, prompt="": NEW_PASSWORD)
    call_command("changepassword", alice.email, stdout=None)
    _all_signed_out(alice, browser, tokens)


@pytest.mark.django_db
def test_set_password_and_save_in_code_signs_the_user_out_everywhere(alice: User) -> None:
    browser, tokens = sign_in(alice), api_tokens(Client(), alice)
    user = User.objects.get(pk=alice.pk)
    user.set_password(NEW_PASSWORD)
    user.save()
    _all_signed_out(alice, browser, tokens)


@pytest.mark.django_db
def test_saving_a_user_without_a_new_password_ends_nothing(alice: User) -> None:
    browser, tokens = sign_in(alice), api_tokens(Client(), alice)
    user = User.objects.get(pk=alice.pk)
    user.theme = User.Theme.DARK
    user.save()
    assert browser.get("/chats/").status_code == 200
    assert Client().get("/api/auth/me/", headers=bearer(tokens["access"])).status_code == 200


@pytest.mark.django_db(transaction=True)
async def test_an_open_socket_is_told_and_closed_when_the_password_changes(settings: Any) -> None:
    settings.ONYX_WEBSOCKET_RECHECK_SECONDS = 3600  # only the change's own news can close it
    alice = await sync_to_async(make_user)("alice@example.com")
    tokens = await sync_to_async(api_tokens)(Client(), alice)
    socket = WebsocketCommunicator(
        application, "/ws/", headers=[(b"authorization", f"Bearer {tokens['access']}".encode())]
    )
    assert (await socket.connect(timeout=5))[0]
    assert (await socket.receive_json_from(timeout=5))["type"] == "hello"

    def change() -> None:
        user = User.objects.get(pk=alice.pk)
        user.set_password(NEW_PASSWORD)
        user.save()

    await sync_to_async(change)()
    *seen, close = await receive_until(
        socket, lambda message: message["type"] == "websocket.close", what="the close"
    )
    assert close["code"] == 4401
    assert any(CHANGED in (m.get("text") or "") and "session.revoked" in m["text"] for m in seen)


@pytest.mark.django_db
def test_the_old_password_no_longer_signs_in(alice: User) -> None:
    user = User.objects.get(pk=alice.pk)
    user.set_password(NEW_PASSWORD)
    user.save()
    old = Client().post("/login/", {"email": alice.email, "password": PASSWORD})
    assert old.status_code == 400
    new = Client().post("/login/", {"email": alice.email, "password": NEW_PASSWORD})
    assert new.status_code == 302
