"""Model choice: operators connect servers in the admin (the key never shown again), test them,
and users pick a model and a system prompt per chat; the reply says which model wrote it."""

import json
import logging
import socket
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from chats.models import ChatMessage, ChatSession, ModelConnection
from tests.conftest import api_tokens, bearer, sign_in, wait_for_reply
from tests.fake_openai_server import FakeOpenAIServer

SECRET = "sk-do-not-show-4f9a1c"


def _connection(fake: FakeOpenAIServer | None = None, **fields: Any) -> ModelConnection:
    defaults: dict[str, Any] = {
        "name": "Lab GPU",
        "base_url": fake.base_url if fake else "http://127.0.0.1:9/v1",
        "api_key": SECRET,
        "model_names": ["fake-large"],
    }
    return ModelConnection.objects.create(**{**defaults, **fields})


def _api(user: User) -> tuple[Client, dict[str, str]]:
    return Client(), bearer(api_tokens(Client(), user)["access"])


def _patch(user: User, chat: ChatSession, body: Any) -> Any:
    client, headers = _api(user)
    return client.patch(
        f"/api/chats/{chat.pk}/", json.dumps(body), content_type="application/json", headers=headers
    )


def _admin_form(connection: ModelConnection | None = None, **fields: Any) -> dict[str, Any]:
    form = {
        "name": connection.name if connection else "Lab GPU",
        "base_url": connection.base_url if connection else "http://ollama:11434/v1",
        "api_key": "",
        "model_names": "\n".join(connection.model_names) if connection else "llama3:8b\nqwen2.5",
        "enabled": "on",
    }
    form.update(fields)
    return form


def _test_in_admin(operator: User, connection: ModelConnection) -> str:
    response = sign_in(operator).post(
        "/admin/chats/modelconnection/",
        {"action": "test_connection", "_selected_action": [connection.pk]},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert SECRET not in page
    return page


# --- The admin ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_operator_adds_a_connection_and_its_key_is_never_shown_again(operator: User) -> None:
    admin = sign_in(operator)
    response = admin.post(
        "/admin/chats/modelconnection/add/",
        _admin_form(api_key=SECRET, base_url="http://ollama:11434/v1/"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    connection = ModelConnection.objects.get()
    assert connection.api_key == SECRET
    assert connection.base_url == "http://ollama:11434/v1"
    assert connection.model_names == ["llama3:8b", "qwen2.5"]
    for path in (
        "/admin/chats/modelconnection/",
        f"/admin/chats/modelconnection/{connection.pk}/change/",
    ):
        page = admin.get(path).content.decode()
        assert "Lab GPU" in page
        assert SECRET not in page


@pytest.mark.django_db
def test_an_empty_key_field_keeps_the_saved_key_and_the_box_clears_it(operator: User) -> None:
    connection = _connection()
    admin = sign_in(operator)
    change = f"/admin/chats/modelconnection/{connection.pk}/change/"
    assert admin.post(change, _admin_form(connection, name="Lab GPU ✨")).status_code == 302
    connection.refresh_from_db()
    assert (connection.name, connection.api_key) == ("Lab GPU ✨", SECRET)
    assert admin.post(change, _admin_form(connection, api_key="sk-new")).status_code == 302
    connection.refresh_from_db()
    assert connection.api_key == "sk-new"
    assert admin.post(change, _admin_form(connection, clear_api_key="on")).status_code == 302
    connection.refresh_from_db()
    assert connection.api_key == ""


@pytest.mark.django_db
def test_a_base_url_without_http_is_a_form_error(operator: User) -> None:
    response = sign_in(operator).post(
        "/admin/chats/modelconnection/add/", _admin_form(base_url="ollama:11434")
    )
    assert response.status_code == 200
    assert "with http:// or https://" in response.content.decode()
    assert not ModelConnection.objects.exists()


@pytest.mark.django_db
def test_a_basic_user_cannot_reach_the_connections(alice_client: Client) -> None:
    _connection()
    response = alice_client.get("/admin/chats/modelconnection/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_testing_a_connection_lists_the_servers_models(
    operator: User, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.required_key = SECRET
    page = _test_in_admin(operator, _connection(fake_openai))
    assert "Lab GPU: Connected. The server has 2 model(s): fake-large, fake-model." in page
    [request] = fake_openai.requests
    assert (request.path, request.headers["authorization"]) == ("/v1/models", f"Bearer {SECRET}")


@pytest.mark.django_db
def test_testing_names_a_model_missing_on_the_server(
    operator: User, fake_openai: FakeOpenAIServer
) -> None:
    page = _test_in_admin(operator, _connection(fake_openai, model_names=["fake-large", "gpt-9"]))
    assert "missing on the server: gpt-9" in page


@pytest.mark.parametrize(
    ("breakage", "said"),
    [
        ("wrong key", "refused the API key (HTTP 401)"),
        ("not-json", "did not answer with JSON"),
        ("hang", "did not answer within the configured timeouts"),
    ],
)
@pytest.mark.django_db
def test_testing_says_what_failed(
    operator: User,
    fake_openai: FakeOpenAIServer,
    breakage: str,
    said: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if breakage == "wrong key":
        fake_openai.required_key = "sk-the-right-one"
    else:
        fake_openai.models_reply = breakage
    with caplog.at_level(logging.DEBUG):
        page = _test_in_admin(operator, _connection(fake_openai))
    assert said in page
    assert SECRET not in caplog.text


@pytest.mark.django_db
def test_testing_a_server_nobody_listens_on_says_so(operator: User) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    page = _test_in_admin(operator, _connection(base_url=f"http://127.0.0.1:{port}/v1"))
    assert f"Could not connect to http://127.0.0.1:{port}/v1/models" in page


# --- Choosing a model -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_models_list_has_the_enabled_connections_and_always_the_builtin(
    alice: User, settings: Any
) -> None:
    settings.ONYX_LLM_BASE_URL = ""
    client, headers = _api(alice)
    alone = client.get("/api/models/", headers=headers).json()
    assert alone == [
        {
            "id": "builtin",
            "name": "Built-in assistant",
            "connection": "Onyx Sessions",
            "builtin": True,
            "default": True,
        }
    ]
    lab = _connection(model_names=["llama3:8b", "qwen2.5"])
    _connection(name="Old box", enabled=False, model_names=["old"])
    settings.ONYX_LLM_BASE_URL, settings.ONYX_LLM_MODEL = "http://127.0.0.1:9/v1", "env-model"
    response = client.get("/api/models/", headers=headers)
    assert SECRET not in response.content.decode()
    listed = [(m["id"], m["name"], m["default"]) for m in response.json()]
    assert listed == [
        ("env", "env-model", True),
        (f"{lab.pk}:llama3:8b", "llama3:8b", False),
        (f"{lab.pk}:qwen2.5", "qwen2.5", False),
        ("builtin", "Built-in assistant", False),
    ]
    assert Client().get("/api/models/").status_code == 401


@pytest.mark.django_db
def test_a_chat_takes_an_offered_model_and_a_system_prompt(
    alice: User, alice_chat: ChatSession
) -> None:
    lab = _connection(model_names=["llama3:8b"])
    prompt = "Réponds en français, brièvement. 日本語も可 🙂"
    response = _patch(alice, alice_chat, {"model": f"{lab.pk}:llama3:8b", "system_prompt": prompt})
    assert response.status_code == 200, response.content
    assert (response.json()["model"], response.json()["system_prompt"]) == (
        f"{lab.pk}:llama3:8b",
        prompt,
    )
    alice_chat.refresh_from_db()
    assert (alice_chat.model, alice_chat.system_prompt) == (f"{lab.pk}:llama3:8b", prompt)
    assert _patch(alice, alice_chat, {"model": ""}).json()["model"] == ""


@pytest.mark.django_db
def test_a_model_not_offered_or_a_huge_prompt_is_a_400(
    alice: User, alice_chat: ChatSession
) -> None:
    hidden = _connection(name="Old box", enabled=False, model_names=["old"])
    for key in (f"{hidden.pk}:old", "999:anything", "gpt-4o", "env"):
        response = _patch(alice, alice_chat, {"model": key})
        assert response.status_code == 400, key
        assert response.json()["errors"]["model"] == [
            "This model is not offered here. Choose one of /api/models/."
        ]
    huge = _patch(alice, alice_chat, {"system_prompt": "x" * 8_001})
    assert huge.status_code == 400
    assert "8000" in json.dumps(huge.json())
    alice_chat.refresh_from_db()
    assert (alice_chat.model, alice_chat.system_prompt) == ("", "")


@pytest.mark.django_db
def test_bob_cannot_set_the_model_of_alices_chat(bob: User, alice_chat: ChatSession) -> None:
    assert _patch(bob, alice_chat, {"model": "builtin"}).status_code == 404


@pytest.mark.django_db
def test_the_chat_page_saves_a_model_choice(
    alice: User, alice_client: Client, alice_chat: ChatSession
) -> None:
    lab = _connection(model_names=["llama3:8b"])
    page = alice_client.get(f"/chats/{alice_chat.pk}/").content.decode()
    assert f'<option value="{lab.pk}:llama3:8b">llama3:8b (Lab GPU)</option>' in page
    alice_client.post(
        f"/chats/{alice_chat.pk}/model/", {"model": "builtin", "system_prompt": "Sois bref."}
    )
    alice_chat.refresh_from_db()
    assert (alice_chat.model, alice_chat.system_prompt) == ("builtin", "Sois bref.")
    refused = alice_client.post(
        f"/chats/{alice_chat.pk}/model/", {"model": "gpt-9"}, follow=True
    ).content.decode()
    assert "Choose one of the models offered here." in refused
    alice_chat.refresh_from_db()
    assert alice_chat.model == "builtin"


# --- Replies ------------------------------------------------------------------------------------


def _reply_in(user: User, chat: ChatSession, text: str) -> ChatMessage:
    client, headers = _api(user)
    response = client.post(
        f"/api/chats/{chat.pk}/messages/",
        json.dumps({"content": text}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 201, response.content
    return wait_for_reply(user, response.json()["reply"]["id"])


def test_the_chosen_model_writes_the_reply_and_hears_the_system_prompt(
    alice: User, fake_openai: FakeOpenAIServer, worker: None
) -> None:
    lab = _connection(fake_openai, api_key="sk-lab", model_names=["fake-large"])
    chat = ChatSession.objects.create(
        owner=alice, model=f"{lab.pk}:fake-large", system_prompt="Be brief. Sé breve."
    )
    reply = _reply_in(alice, chat, "¿Qué hora es? 🕰")
    assert (reply.status, reply.model_name) == ("done", "fake-large")
    assert reply.content == "Echo: ¿Qué hora es? 🕰"
    [request] = fake_openai.requests
    assert request.body["model"] == "fake-large"
    assert request.headers["authorization"] == "Bearer sk-lab"
    assert request.body["messages"][0] == {"role": "system", "content": "Be brief. Sé breve."}


def test_a_chat_without_a_choice_uses_the_first_connected_model(
    alice: User, fake_openai: FakeOpenAIServer, worker: None, settings: Any
) -> None:
    settings.ONYX_LLM_BASE_URL = ""
    _connection(fake_openai, model_names=["fake-large"])
    reply = _reply_in(alice, ChatSession.objects.create(owner=alice), "Hi there")
    assert reply.model_name == "fake-large"


def test_a_model_taken_away_fails_the_reply_with_the_reason(alice: User, worker: None) -> None:
    lab = _connection(model_names=["llama3:8b"])
    chat = ChatSession.objects.create(owner=alice, model=f"{lab.pk}:llama3:8b")
    ModelConnection.objects.filter(pk=lab.pk).update(enabled=False)
    reply = _reply_in(alice, chat, "Still there?")
    assert reply.status == "failed"
    assert "not offered any more" in reply.error


def test_the_builtin_chosen_beside_connected_models_points_to_them(
    alice: User, worker: None
) -> None:
    _connection(model_names=["llama3:8b"])
    chat = ChatSession.objects.create(owner=alice, model="builtin")
    reply = _reply_in(alice, chat, "What is the capital of Peru?")
    assert reply.model_name == "builtin"
    assert "“llama3:8b”" in reply.content
    assert "No language model is connected" not in reply.content
