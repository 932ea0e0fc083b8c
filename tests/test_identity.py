"""One account per address however it is typed, refresh-token theft ends a session, client ids
are per chat, and lockouts can be reset."""

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from tests.conftest import PASSWORD, api_tokens, bearer, sign_in

pytestmark = pytest.mark.django_db

LOOK_ALIKES = [
    "alice@example.com\u200b",  # zero-width space
    "al\u00adice@example.com",  # soft hyphen
    "alice\u200d@example.com",  # zero-width joiner
    "\u202ealice@example.com",  # right-to-left override
    "alice@example.com\ufeff",  # byte order mark
]
INVISIBLE = b"cannot contain invisible or control characters"


@pytest.mark.parametrize("email", LOOK_ALIKES, ids=lambda e: e.encode("unicode_escape").decode())
def test_signup_refuses_an_address_with_invisible_characters(
    email: str, alice: User, settings: Any
) -> None:
    settings.ONYX_ALLOW_SIGNUP = True
    response = Client().post(
        "/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 400
    assert INVISIBLE in response.content
    assert list(User.objects.values_list("email", flat=True)) == ["alice@example.com"]


def test_a_full_width_spelling_is_the_same_account(alice: User, settings: Any) -> None:
    settings.ONYX_ALLOW_SIGNUP = True
    # ALICE@example.com in full-width letters, as a CJK keyboard may type it
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "ALICE@example.com")
    taken = Client().post(
        "/signup/", {"email": full_width, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert taken.status_code == 400
    assert b"already exists" in taken.content
    signed_in = Client().post("/login/", {"email": full_width, "password": PASSWORD})
    assert signed_in.status_code == 302


def test_an_operator_cannot_create_a_look_alike_account(operator: User) -> None:
    admin = sign_in(operator)
    response = admin.post(
        "/admin/accounts/user/add/",
        {
            "email": "operator@example.com\u200b",
            "usable_password": "true",
            "password1": "an operator chosen pass 9",
            "password2": "an operator chosen pass 9",
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert INVISIBLE in response.content
    assert User.objects.count() == 1


def test_signing_in_with_invisible_characters_is_a_form_error(alice: User) -> None:
    response = Client().post("/login/", {"email": LOOK_ALIKES[0], "password": PASSWORD})
    assert response.status_code == 400
    assert INVISIBLE in response.content


def test_an_api_sign_in_with_invisible_characters_is_a_400(alice: User) -> None:
    response = Client().post(
        "/api/auth/token/",
        {"email": LOOK_ALIKES[0], "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "invisible" in response.json()["errors"]["email"][0]


def test_creating_a_user_in_code_refuses_invisible_characters(db: None) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        User.objects.create_user(email=LOOK_ALIKES[0], password=PASSWORD)


def _send(headers: dict[str, str], chat: ChatSession, content: str, client_id: str) -> Any:
    return Client().post(
        f"/api/chats/{chat.pk}/messages/",
        json.dumps({"content": content, "client_id": client_id}),
        content_type="application/json",
        headers=headers,
    )


def test_a_client_id_reused_in_another_chat_is_a_new_message(alice: User) -> None:
    headers = bearer(api_tokens(Client(), alice)["access"])
    first_chat = ChatSession.objects.create(owner=alice)
    second_chat = ChatSession.objects.create(owner=alice)
    assert _send(headers, first_chat, "Bonjour 🙂", "msg-1").status_code == 201
    other = _send(headers, second_chat, "こんにちは", "msg-1")
    assert other.status_code == 201
    assert other.json()["user_message"]["content"] == "こんにちは"
    assert ChatMessage.objects.for_user(alice).filter(chat=second_chat, role="user").count() == 1
    again = _send(headers, second_chat, "こんにちは", "msg-1")
    assert (again.status_code, again.json()["user_message"]["id"]) == (
        200,
        other.json()["user_message"]["id"],
    )


def test_axes_reset_clears_every_lockout(alice: User, bob: User, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 2
    for user in (alice, bob):
        client = Client(REMOTE_ADDR=f"10.0.0.{user.pk % 250}")
        for _ in range(2):
            client.post("/login/", {"email": user.email, "password": "wrong"})
        locked = client.post("/login/", {"email": user.email, "password": PASSWORD})
        assert locked.status_code == 429
    out = StringIO()
    call_command("axes_reset", stdout=out)
    assert out.getvalue().strip().endswith("attempts removed.")
    for user in (alice, bob):
        client = Client(REMOTE_ADDR=f"10.0.0.{user.pk % 250}")
        assert (
            client.post("/login/", {"email": user.email, "password": PASSWORD}).status_code == 302
        )
    out = StringIO()
    call_command("axes_reset", stdout=out)
    assert out.getvalue().strip() == "No attempts found."
