"""Citations lead to the passage quoted, highlighted on the file's page; a citation to a file
deleted since says so instead of leading to a 404."""

import json
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from chats import replies, selectors
from chats.models import ChatMessage, ChatSession
from files.models import UserFile
from tests.conftest import api_tokens, bearer
from tests.factories import add_message, make_chat, make_file

pytestmark = pytest.mark.django_db

PASSAGES = ["Chapter one: the harbour.", "Les hérons nichent au nord. 鷺 🐦", "Chapter three."]


def _cite(file: UserFile, n: int = 1, chunk_index: int | None = 1) -> dict[str, Any]:
    citation: dict[str, Any] = {
        "n": n,
        "file_id": file.pk,
        "file_name": file.name,
        "passage": PASSAGES[chunk_index or 0],
    }
    if chunk_index is not None:
        citation["chunk_index"] = chunk_index
    return citation


def _reply_citing(chat: ChatSession, *citations: dict[str, Any]) -> ChatMessage:
    add_message(chat, "user", "Where do herons nest?")
    return add_message(chat, "assistant", "In the north [1].", citations=list(citations))


def _listed_citations(user: User, chat: ChatSession) -> list[dict[str, Any]]:
    client = Client()
    headers = bearer(api_tokens(Client(), user)["access"])
    results = client.get(f"/api/chats/{chat.pk}/messages/", headers=headers).json()["results"]
    return list(results[0]["citations"])


def test_a_citation_leads_to_its_passage(alice: User, alice_chat: ChatSession) -> None:
    file = make_file(owner=alice, name="hérons.md", chunks=PASSAGES)
    _reply_citing(alice_chat, _cite(file))
    [citation] = _listed_citations(alice, alice_chat)
    assert citation["url"] == f"/files/{file.pk}/?passage=1#passage-1"
    assert (citation["chunk_index"], citation["deleted"]) == (1, False)
    assert citation["file_name"] == "hérons.md"


def test_an_older_citation_without_a_passage_leads_to_the_file(
    alice: User, alice_chat: ChatSession
) -> None:
    file = make_file(owner=alice, name="notes.txt", chunks=PASSAGES)
    _reply_citing(alice_chat, _cite(file, chunk_index=None))
    [citation] = _listed_citations(alice, alice_chat)
    assert (citation["url"], citation["chunk_index"]) == (f"/files/{file.pk}/", None)


def test_a_citation_to_a_deleted_file_says_so(
    alice: User, alice_client: Client, alice_chat: ChatSession
) -> None:
    kept = make_file(owner=alice, name="kept.txt", chunks=PASSAGES)
    gone = make_file(owner=alice, name="gone — 消えた.txt", chunks=["other text"])
    _reply_citing(alice_chat, _cite(kept, 1), _cite(gone, 2, chunk_index=0))
    alice_client.post(f"/files/{gone.pk}/delete/", {"confirmed": "yes"})
    first, second = _listed_citations(alice, alice_chat)
    assert (first["deleted"], second["deleted"]) == (False, True)
    assert second["url"] is None
    page = alice_client.get(f"/chats/{alice_chat.pk}/").content.decode()
    assert "gone — 消えた.txt (deleted)" in page
    assert f'href="/files/{gone.pk}/' not in page
    assert f'href="/files/{kept.pk}/?passage=1#passage-1"' in page


def test_another_users_file_of_the_same_id_never_counts_as_there(
    alice: User, bob: User, alice_chat: ChatSession
) -> None:
    bobs = make_file(owner=bob, name="bob.txt", chunks=PASSAGES)
    _reply_citing(alice_chat, {"n": 1, "file_id": bobs.pk, "file_name": "x", "passage": "y"})
    [citation] = _listed_citations(alice, alice_chat)
    assert (citation["deleted"], citation["url"]) == (True, None)


def test_citations_take_one_query_for_a_whole_page(
    alice: User, django_assert_num_queries: Any
) -> None:
    files = [make_file(owner=alice, name=f"f{n}.txt", chunks=PASSAGES) for n in range(5)]
    short, long = make_chat(owner=alice), make_chat(owner=alice)
    _reply_citing(short, _cite(files[0]))
    for n in range(20):
        _reply_citing(long, _cite(files[n % 5]), _cite(files[(n + 1) % 5], 2, 2))
    client = Client()
    headers = bearer(api_tokens(Client(), alice)["access"])
    client.get("/api/auth/me/", headers=headers)
    for chat in (short, long):
        # The one of every page (the chat and its messages), and one for the files cited.
        with django_assert_num_queries(2):
            client.get(f"/api/chats/{chat.pk}/messages/", headers=headers)


def test_the_file_page_marks_the_passage_cited(alice: User, alice_client: Client) -> None:
    file = make_file(owner=alice, name="hérons.md", chunks=PASSAGES)
    page = alice_client.get(f"/files/{file.pk}/", {"passage": 1}).content.decode()
    assert page.count('class="passage cited"') == 1
    assert 'id="passage-1" class="passage cited" data-passage="1" data-cited="true"' in page
    assert 'id="passage-0" class="passage" data-passage="0">' in page
    assert "style=" not in page.split("<main", 1)[1]


@pytest.mark.parametrize("odd", ["abc", "-1", "1.5", "99999999999999999999", "\u0663", ""])
def test_an_odd_passage_number_marks_nothing(alice: User, alice_client: Client, odd: str) -> None:
    file = make_file(owner=alice, name="notes.txt", chunks=PASSAGES)
    response = alice_client.get(f"/files/{file.pk}/", {"passage": odd})
    assert response.status_code == 200
    assert 'class="passage cited"' not in response.content.decode()


def test_bob_gets_404_for_the_passage_of_alices_file(alice: User, bob_client: Client) -> None:
    file = make_file(owner=alice, name="notes.txt", chunks=PASSAGES)
    assert bob_client.get(f"/files/{file.pk}/", {"passage": 1}).status_code == 404


def test_a_reply_event_carries_the_links(alice: User, alice_chat: ChatSession) -> None:
    file = make_file(owner=alice, name="kept.txt", chunks=PASSAGES)
    reply = _reply_citing(alice_chat, _cite(file))
    [shown] = selectors.ready_to_show(alice, [reply])
    event = replies.message_event("message.completed", shown)
    assert json.loads(json.dumps(event))["message"]["citations"][0]["url"].endswith("#passage-1")
