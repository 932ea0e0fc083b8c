"""Odd or hostile input is a clear 4xx in JSON, and an unexpected failure is JSON too: no 500
pages from the API."""

import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.middleware import ActiveSessionMiddleware
from accounts.models import User
from chats.models import ChatMessage, ChatSession
from files.models import UserFile
from tests.conftest import api_tokens, bearer, sign_in
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
    "cursor",
    ["abc", "1e5", "-1", "9" * 40, "١٢", "²", "🙂", "bob"],
    ids=lambda c: c.encode().hex()[:12],
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


@pytest.mark.parametrize(
    "query", [{"cursor": "abc"}, {"cursor": "²"}, {"page_size": "0"}, {"page_size": "é"}]
)
def test_a_bad_page_of_another_users_chat_is_still_a_404(
    alice: User, bob: User, query: dict[str, str]
) -> None:
    bob_chat = ChatSession.objects.create(owner=bob, title="Bobs Geheimnis 🤫")
    add_message(bob_chat, "user", "Bobs Geheimnis")
    headers = bearer(api_tokens(Client(), alice)["access"])
    response = Client().get(f"/api/chats/{bob_chat.pk}/messages/", query, headers=headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no such chat."}


def test_an_unexpected_api_failure_is_a_json_500(
    alice: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False
    headers = bearer(api_tokens(Client(), alice)["access"])

    def broken(user: User, **page: int) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("chats.selectors.chat_page", broken)
    response = Client(raise_request_exception=False).get("/api/chats/", headers=headers)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert "went wrong on the server" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"system_prompt": 0}, "system_prompt", "Give a string."),
        ({"title": ["Reise"]}, "title", "Give a string."),
        ({"pinned": "yes"}, "pinned", "Give true or false."),
        ({"archived": 0}, "archived", "Give true or false."),
        ({"file_ids": ["1"]}, "file_ids", "Every item: give a whole number."),
        ({"file_ids": 1}, "file_ids", "Give a list."),
    ],
)
def test_a_value_of_the_wrong_json_type_is_refused_not_coerced(
    alice: User, alice_chat: ChatSession, body: dict[str, Any], field: str, message: str
) -> None:
    headers = bearer(api_tokens(Client(), alice)["access"])
    response = Client().patch(
        f"/api/chats/{alice_chat.pk}/", json.dumps(body), "application/json", headers=headers
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {field: [message]}
    alice_chat.refresh_from_db()
    assert (alice_chat.title, alice_chat.pinned, alice_chat.system_prompt) == (
        "Alice's plans",
        False,
        "",
    )


def test_a_message_id_sent_as_a_string_is_refused(alice: User, alice_chat: ChatSession) -> None:
    message = add_message(alice_chat, "user", "Grüß dich 👋")
    headers = bearer(api_tokens(Client(), alice)["access"])
    response = _post_raw(
        Client(),
        f"/api/chats/{alice_chat.pk}/branch/",
        json.dumps({"message_id": str(message.pk)}),
        headers,
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"message_id": ["Give a whole number."]}


def test_a_form_encoded_body_to_the_json_api_is_a_415(alice: User, alice_chat: ChatSession) -> None:
    headers = bearer(api_tokens(Client(), alice)["access"])
    response = Client().post(
        f"/api/chats/{alice_chat.pk}/messages/", {"content": "Hallo 🌍"}, headers=headers
    )
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["detail"]
    assert not ChatMessage.objects.for_user(alice).exists()


@pytest.mark.parametrize("value", ["null", "0", "-1", "1.5", "abc", "501", "9" * 30, "\u0661"])
def test_a_page_size_that_is_no_whole_number_in_range_is_a_400(
    alice: User, alice_chat: ChatSession, value: str
) -> None:
    client, headers = Client(), bearer(api_tokens(Client(), alice)["access"])
    listed = client.get("/api/chats/", {"page_size": value}, headers=headers)
    assert listed.status_code == 400
    assert listed.json()["errors"] == {"page_size": ["Give a whole number from 1 to 500."]}
    messages = client.get(
        f"/api/chats/{alice_chat.pk}/messages/", {"page_size": value}, headers=headers
    )
    assert messages.status_code == 400
    assert messages.json()["errors"] == {"page_size": ["Give a whole number from 1 to 200."]}


def test_pages_are_numbered_from_1_and_past_the_last_is_a_404(alice: User) -> None:
    for n in range(3):
        ChatSession.objects.create(owner=alice, title=f"Chat {n} 🗂️")
    client, headers = Client(), bearer(api_tokens(Client(), alice)["access"])
    second = client.get("/api/chats/", {"page_size": 2, "page": 2}, headers=headers)
    assert second.status_code == 200
    assert [chat["title"] for chat in second.json()["results"]] == ["Chat 0 🗂️"]
    assert second.json()["count"] == 3
    assert second.json()["next"] is None
    assert "page_size=2" in second.json()["previous"]
    first = client.get("/api/chats/", {"page_size": 2}, headers=headers).json()
    assert (first["count"], len(first["results"]), first["previous"]) == (3, 2, None)
    assert "page=2" in first["next"]
    assert (
        client.get("/api/chats/", {"page": 3, "page_size": 2}, headers=headers).status_code == 404
    )
    zero = client.get("/api/chats/", {"page": 0}, headers=headers)
    assert zero.status_code == 400
    assert zero.json()["errors"]["page"] == ["Give a whole number from 1 to 1000000000."]


def test_search_text_over_200_characters_is_a_400_even_with_spaces_around(
    alice: User, alice_chat: ChatSession
) -> None:
    headers = bearer(api_tokens(Client(), alice)["access"])
    response = Client().get("/api/chats/search/", {"q": " plans " + " " * 194}, headers=headers)
    assert response.status_code == 400
    assert response.json()["errors"] == {"q": ["Search for at most 200 characters."]}
    found = Client().get("/api/chats/search/", {"q": " plans "}, headers=headers)
    assert [hit["chat"]["id"] for hit in found.json()] == [alice_chat.pk]


def _json_error(response: Any) -> tuple[int, str, Any]:
    return response.status_code, response["Content-Type"], response.json()


def _page_error(response: Any) -> tuple[int, str]:
    return response.status_code, response["Content-Type"]


def test_a_host_not_served_is_a_400_in_json_on_the_api_and_a_page_elsewhere(
    db: None, settings: Any
) -> None:
    settings.DEBUG = False
    message = "This server does not answer for the host name this request gives."
    client = Client(raise_request_exception=False, HTTP_HOST="elsewhere.example")
    assert _json_error(client.get("/api/chats/")) == (
        400,
        "application/json",
        {"detail": message, "code": "bad_host"},
    )
    page = client.get("/login/")
    assert _page_error(page) == (400, "text/html; charset=utf-8")
    assert message in page.content.decode()


@pytest.mark.parametrize(
    ("too_many", "code", "message"),
    [
        ("fields", "too_many_fields", "Too many form fields: send at most 1,000 in one request."),
        ("files", "too_many_files", "Too many files: send at most 100 in one request."),
        ("bytes", "field_too_big", "A form field is too large: at most 1,024 bytes outside files."),
    ],
    ids=["fields", "files", "bytes"],
)
def test_too_many_fields_or_files_in_an_upload_is_a_400_that_gives_the_limit(
    alice: User, settings: Any, too_many: str, code: str, message: str
) -> None:
    settings.DEBUG = False
    form: dict[str, Any]
    if too_many == "bytes":
        settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
        form = {"note": "Grüße 🙂 " * 200, "file": SimpleUploadedFile("notes.txt", b"Hi")}
    elif too_many == "fields":
        form = {f"note{n}": "ü" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
        form["file"] = SimpleUploadedFile("notes.txt", "Grüße 🙂".encode())
    else:
        form = {
            f"file{n}": SimpleUploadedFile(f"notes{n}.txt", "Grüße 🙂".encode())
            for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
        }
    headers = bearer(api_tokens(Client(), alice)["access"])
    api = Client(raise_request_exception=False).post("/api/files/", form, headers=headers)
    assert _json_error(api) == (400, "application/json", {"detail": message, "code": code})
    page = sign_in(alice)
    page.raise_request_exception = False
    answer = page.post("/files/upload/", form)
    assert _page_error(answer) == (400, "text/html; charset=utf-8")
    assert message in answer.content.decode()
    assert not UserFile.objects.for_user(alice).exists()


@pytest.mark.parametrize(
    ("refusal", "status", "code", "message"),
    [
        (
            SuspiciousOperation("A forged header."),
            400,
            "bad_request",
            "This request is malformed or unsafe, so it was refused.",
        ),
        (PermissionDenied(), 403, "permission_denied", "You do not have permission to do this."),
    ],
    ids=["400", "403"],
)
def test_a_refusal_raised_outside_drf_is_json_on_the_api_and_a_page_elsewhere(
    db: None,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
    refusal: Exception,
    status: int,
    code: str,
    message: str,
) -> None:
    settings.DEBUG = False

    def refuse(request: Any) -> None:
        raise refusal

    # A middleware refuses the request, before any DRF view could answer for it.
    monkeypatch.setattr(ActiveSessionMiddleware, "_session_of", staticmethod(refuse))
    client = Client(raise_request_exception=False)
    assert _json_error(client.get("/api/chats/")) == (
        status,
        "application/json",
        {"detail": message, "code": code},
    )
    page = client.get("/chats/")
    assert _page_error(page) == (status, "text/html; charset=utf-8")
    assert message in page.content.decode()
