"""Edit, regenerate and branches: nothing is overwritten, a chat shows one branch at a time, and
the model hears the branch shown."""

import asyncio
import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from chats import catalogue, selectors
from chats.models import ChatMessage, ChatSession
from onyx_site import live_state
from tests.conftest import api_tokens, bearer
from tests.factories import add_message, make_chat

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, user: User) -> None:
        self.client = Client()
        self.headers = bearer(api_tokens(Client(), user)["access"])

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            path, json.dumps(body), content_type="application/json", headers=self.headers
        )


def _tree(alice: User) -> tuple[ChatSession, dict[str, ChatMessage]]:
    """q1 → a1 → q2 → a2 (the original), and q2' → a2' → q3' → a3' (an edit of q2), shown."""
    chat = make_chat(owner=alice, title="Trees 🌳")
    m: dict[str, ChatMessage] = {}
    m["q1"] = add_message(chat, "user", "Name a tree")
    m["a1"] = add_message(chat, "assistant", "An oak.")
    m["q2"] = add_message(chat, "user", "Where do they grow?")
    m["a2"] = add_message(chat, "assistant", "Everywhere in Europe.")
    m["q2e"] = add_message(chat, "user", "Où poussent-ils ? 木はどこ", parent=m["a1"])
    m["a2e"] = add_message(chat, "assistant", "En Europe.")
    m["q3e"] = add_message(chat, "user", "And in Japan?")
    m["a3e"] = add_message(chat, "assistant", "Yes 🗾")
    return chat, m


def _ids(*messages: ChatMessage) -> list[int]:
    return [m.pk for m in messages]


def _shown(api: Api, chat: ChatSession) -> list[dict[str, Any]]:
    response = api.get(f"/api/chats/{chat.pk}/messages/")
    assert response.status_code == 200, response.content
    return list(response.json()["results"])


def _logged_events(user: User) -> list[dict[str, Any]]:
    return list(asyncio.run(live_state.aevents_since(user.pk, 0)).events)


def test_the_list_shows_one_branch_with_each_messages_versions(alice: User) -> None:
    chat, m = _tree(alice)
    shown = _shown(Api(alice), chat)
    assert [s["id"] for s in shown] == _ids(
        m["a3e"], m["q3e"], m["a2e"], m["q2e"], m["a1"], m["q1"]
    )
    edited = next(s for s in shown if s["id"] == m["q2e"].pk)
    assert edited["parent_id"] == m["a1"].pk
    assert edited["sibling_ids"] == _ids(m["q2"], m["q2e"])
    assert (edited["sibling_index"], edited["sibling_count"]) == (1, 2)
    first = shown[-1]
    assert (first["parent_id"], first["sibling_ids"], first["sibling_count"]) == (
        None,
        [m["q1"].pk],
        1,
    )


EDITED = "Nomme un arbre, s\u2019il te plaît 🌲 — 木"


def test_editing_adds_a_version_and_a_reply_and_shows_them(alice: User) -> None:
    chat, m = _tree(alice)
    api = Api(alice)
    response = api.post(
        f"/api/chats/{chat.pk}/messages/{m['q1'].pk}/edit/",
        {"content": EDITED, "client_id": "edit-1"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    new_question, reply = body["user_message"], body["reply"]
    assert new_question["content"] == EDITED
    assert new_question["parent_id"] is None
    assert new_question["sibling_ids"] == [m["q1"].pk, new_question["id"]]
    assert (reply["parent_id"], reply["status"]) == (new_question["id"], "pending")
    assert [s["id"] for s in _shown(api, chat)] == [reply["id"], new_question["id"]]
    # The original and everything after it are kept, untouched.
    assert ChatMessage.objects.for_user(alice).get(pk=m["q1"].pk).content == "Name a tree"
    assert ChatMessage.objects.for_user(alice).filter(chat=chat).count() == 10
    again = api.post(
        f"/api/chats/{chat.pk}/messages/{m['q1'].pk}/edit/",
        {"content": EDITED, "client_id": "edit-1"},
    )
    assert again.status_code == 200
    assert again.json()["user_message"]["id"] == new_question["id"]


def test_refused_edits_are_400s_with_a_reason(alice: User) -> None:
    chat, m = _tree(alice)
    api = Api(alice)
    base = f"/api/chats/{chat.pk}/messages"
    reply = api.post(f"{base}/{m['a1'].pk}/edit/", {"content": "mine"})
    assert reply.status_code == 400
    assert "regenerate" in json.dumps(reply.json())
    empty = api.post(f"{base}/{m['q1'].pk}/edit/", {"content": "  "})
    assert empty.status_code == 400
    assert empty.json()["errors"]["content"] == ["Write a message first."]
    assert api.post(f"{base}/{m['q1'].pk}/edit/", ["content"]).status_code == 400
    assert api.post(f"{base}/999999/edit/", {"content": "x"}).status_code == 404
    assert ChatMessage.objects.for_user(alice).filter(chat=chat).count() == 8


def test_switching_shows_the_versions_branch_down_to_its_newest_message(alice: User) -> None:
    chat, m = _tree(alice)
    api = Api(alice)
    response = api.post(f"/api/chats/{chat.pk}/branch/", {"message_id": m["q2"].pk})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "active_leaf_id": m["a2"].pk,
        "fork_id": m["q2"].pk,
        "fork_parent_id": m["a1"].pk,
        "path": _ids(m["q2"], m["a2"]),
    }
    assert [s["id"] for s in _shown(api, chat)] == _ids(m["a2"], m["q2"], m["a1"], m["q1"])
    back = api.post(f"/api/chats/{chat.pk}/branch/", {"message_id": m["q2e"].pk}).json()
    assert back["active_leaf_id"] == m["a3e"].pk
    assert back["path"] == _ids(m["q2e"], m["a2e"], m["q3e"], m["a3e"])
    chat.refresh_from_db()
    assert chat.active_leaf_id == m["a3e"].pk


def test_a_switch_to_a_message_not_in_the_chat_is_a_400(alice: User, bob: User) -> None:
    chat, _ = _tree(alice)
    other = make_chat(owner=alice, messages=2)
    bobs = make_chat(owner=bob, messages=2)
    api = Api(alice)
    for message_id in (other.active_leaf_id, bobs.active_leaf_id, 10**12):
        response = api.post(f"/api/chats/{chat.pk}/branch/", {"message_id": message_id})
        assert response.status_code == 400
        assert response.json()["errors"]["message_id"] == ["There is no such message in this chat."]
    for body in ({}, {"message_id": "one"}, {"message_id": -1}, ["x"]):
        assert api.post(f"/api/chats/{chat.pk}/branch/", body).status_code == 400
    assert api.post(f"/api/chats/{bobs.pk}/branch/", {"message_id": 1}).status_code == 404


def test_the_model_hears_only_the_branch_shown(alice: User) -> None:
    _, m = _tree(alice)
    reply = ChatMessage.objects.for_user(alice).get(pk=m["a3e"].pk)
    prompt = selectors.prompt_for(reply)
    assert [p.content for p in prompt.messages] == [
        "Name a tree",
        "An oak.",
        "Où poussent-ils ? 木はどこ",
        "En Europe.",
        "And in Japan?",
    ]
    original = ChatMessage.objects.for_user(alice).get(pk=m["a2"].pk)
    assert [p.content for p in selectors.prompt_for(original).messages][-1] == (
        "Where do they grow?"
    )


def test_a_failed_reply_is_left_out_of_the_prompt(alice: User) -> None:
    chat = make_chat(owner=alice)
    add_message(chat, "user", "first")
    add_message(chat, "assistant", "half", status="failed")
    add_message(chat, "user", "second")
    reply = add_message(chat, "assistant", "", status="pending")
    assert [p.content for p in selectors.prompt_for(reply).messages] == ["first", "second"]


def test_regenerating_an_earlier_reply_forks_there(alice: User) -> None:
    chat, m = _tree(alice)
    api = Api(alice)
    response = api.post(f"/api/chats/{chat.pk}/messages/{m['a1'].pk}/regenerate/", None)
    assert response.status_code == 201
    new = response.json()
    assert (new["parent_id"], new["sibling_ids"]) == (m["q1"].pk, [m["a1"].pk, new["id"]])
    assert [s["id"] for s in _shown(api, chat)] == [new["id"], m["q1"].pk]


def test_branch_changes_are_published_on_commit_to_every_tab(
    alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    chat, m = _tree(alice)
    api = Api(alice)
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/chats/{chat.pk}/branch/", {"message_id": m["q2"].pk})
        edited = api.post(
            f"/api/chats/{chat.pk}/messages/{m['q2'].pk}/edit/", {"content": "Où ? ✨"}
        ).json()
    events = _logged_events(alice)
    branches = [e for e in events if e["type"] == "chat.branch"]
    assert [(e["chat_id"], e["fork_id"], e["active_leaf_id"]) for e in branches] == [
        (chat.pk, m["q2"].pk, m["a2"].pk),
        (chat.pk, edited["user_message"]["id"], edited["reply"]["id"]),
    ]
    assert branches[1]["path"] == [edited["user_message"]["id"], edited["reply"]["id"]]
    created = [e["message"] for e in events if e["type"] == "message.created"]
    assert [(c["id"], c["parent_id"]) for c in created] == [
        (edited["user_message"]["id"], m["a1"].pk),
        (edited["reply"]["id"], edited["user_message"]["id"]),
    ]
    assert created[0]["sibling_ids"] == [m["q2"].pk, m["q2e"].pk, edited["user_message"]["id"]]


def test_nothing_is_published_for_a_switch_that_was_rolled_back(
    alice: User, django_capture_on_commit_callbacks: Any
) -> None:
    chat, m = _tree(alice)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        Api(alice).post(f"/api/chats/{chat.pk}/branch/", {"message_id": m["q2"].pk})
    assert callbacks  # the event waits for the commit …
    assert _logged_events(alice) == []  # … and was not sent before it


def test_a_page_of_a_long_branch_takes_as_many_queries_as_a_short_one(
    alice: User, alice_client: Client, django_assert_num_queries: Any
) -> None:
    short, _ = _tree(alice)
    long = make_chat(owner=alice, messages=300)
    # Versions along the way: every tenth message has an edited sibling.
    for n, message in enumerate(
        ChatMessage.objects.for_user(alice).filter(chat=long, role="user").order_by("pk")
    ):
        if n % 10 == 0:
            add_message(long, "user", f"edit {n}", parent=message.parent)
    long.refresh_from_db()
    api = Api(alice)
    api.get("/api/auth/me/")  # the first request of a token caches its user
    for chat in (short, long):
        with django_assert_num_queries(1):  # the chat and its page, in one statement
            assert api.get(f"/api/chats/{chat.pk}/messages/").status_code == 200
        catalogue.forget_connections()  # the page reads them, when not cached: count that
        with django_assert_num_queries(7):
            assert alice_client.get(f"/chats/{chat.pk}/").status_code == 200


def test_the_chat_page_shows_the_branch_with_a_switcher_that_needs_no_javascript(
    alice: User, alice_client: Client
) -> None:
    chat, m = _tree(alice)
    page = alice_client.get(f"/chats/{chat.pk}/").content.decode()
    assert "Où poussent-ils ? 木はどこ" in page
    assert "Everywhere in Europe." not in page
    assert 'data-role="version-position">2/2<' in page
    assert f'name="message_id" value="{m["q2"].pk}"' in page
    response = alice_client.post(f"/chats/{chat.pk}/branch/", {"message_id": m["q2"].pk})
    assert response.status_code == 302
    assert response["Location"] == f"/chats/{chat.pk}/#message-{m['q2'].pk}"
    page = alice_client.get(f"/chats/{chat.pk}/").content.decode()
    assert "Everywhere in Europe." in page
    assert "And in Japan?" not in page
    assert 'data-role="version-position">1/2<' in page


def test_editing_from_the_page_sends_a_new_version(alice: User, alice_client: Client) -> None:
    chat, m = _tree(alice)
    response = alice_client.post(
        f"/chats/{chat.pk}/messages/{m['q3e'].pk}/edit/", {"content": "Et en Corée ? 🇰🇷"}
    )
    assert response.status_code == 302
    edited = ChatMessage.objects.for_user(alice).get(content="Et en Corée ? 🇰🇷")
    assert edited.parent_id == m["a2e"].pk
    page = alice_client.get(f"/chats/{chat.pk}/").content.decode()
    assert "Et en Corée ? 🇰🇷" in page
    assert "And in Japan?" not in page


def test_a_refused_edit_is_shown_under_its_message(alice: User, alice_client: Client) -> None:
    chat, m = _tree(alice)
    response = alice_client.post(f"/chats/{chat.pk}/messages/{m['q3e'].pk}/edit/", {"content": ""})
    assert response.status_code == 400
    assert "Write a message first." in response.content.decode()
    assert '<details class="edit-message" data-role="edit" open>' in response.content.decode()
    reply = alice_client.post(f"/chats/{chat.pk}/messages/{m['a1'].pk}/edit/", {"content": "x"})
    assert reply.status_code == 400
    assert "regenerate a reply instead" in reply.content.decode()
    assert ChatMessage.objects.for_user(alice).filter(chat=chat).count() == 8


def test_bob_gets_404_for_alices_branch_pages(alice: User, bob_client: Client) -> None:
    chat, m = _tree(alice)
    for path, data in (
        ("branch/", {"message_id": m["q2"].pk}),
        (f"messages/{m['q1'].pk}/edit/", {"content": "x"}),
        (f"messages/{m['a1'].pk}/regenerate/", {}),
    ):
        assert bob_client.post(f"/chats/{chat.pk}/{path}", data).status_code == 404
    chat.refresh_from_db()
    assert chat.active_leaf_id == m["a3e"].pk
    assert ChatMessage.objects.for_user(alice).filter(chat=chat).count() == 8


def test_regenerating_from_the_page_shows_the_new_reply(alice: User, alice_client: Client) -> None:
    chat, m = _tree(alice)
    response = alice_client.post(f"/chats/{chat.pk}/messages/{m['a3e'].pk}/regenerate/")
    new = ChatMessage.objects.for_user(alice).filter(chat=chat).latest("pk")
    assert response["Location"] == f"/chats/{chat.pk}/#message-{new.pk}"
    assert (new.parent_id, new.status) == (m["q3e"].pk, "pending")


def test_the_export_is_the_branch_shown(alice: User) -> None:
    chat, m = _tree(alice)
    exported = Api(alice).get(f"/api/chats/{chat.pk}/export/", type="json")
    messages = json.loads(exported.content)["messages"]
    assert [(e["id"], e["parent_id"]) for e in messages] == [
        (m["q1"].pk, None),
        (m["a1"].pk, m["q1"].pk),
        (m["q2e"].pk, m["a1"].pk),
        (m["a2e"].pk, m["q2e"].pk),
        (m["q3e"].pk, m["a2e"].pk),
        (m["a3e"].pk, m["q3e"].pk),
    ]
    markdown = Api(alice).get(f"/api/chats/{chat.pk}/export/", type="markdown").content.decode()
    assert "Où poussent-ils ? 木はどこ" in markdown
    assert "Everywhere in Europe." not in markdown
