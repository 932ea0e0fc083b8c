"""Files in the chat: an upload can name a chat of the user's, which then answers from it; the
same bytes twice attach the file already there."""

import asyncio
import threading
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client

from accounts.models import User
from chats import selectors, services
from chats.models import ChatSession
from files.models import UserFile
from files.selectors import CHOOSER_FILES
from onyx_site import live_state
from tests.conftest import api_tokens, bearer
from tests.factories import make_chat, make_file, many_files

pytestmark = pytest.mark.django_db

NAME = "Résumé 履歴書 📄.txt"
BYTES = "Herons nest in the north. Les hérons nichent au nord.\n".encode()


def _upload(user: User, chat_id: object = None, *, name: str = NAME, data: bytes = BYTES) -> Any:
    body: dict[str, Any] = {"file": SimpleUploadedFile(name, data, content_type="text/plain")}
    if chat_id is not None:
        body["chat_id"] = chat_id
    headers = bearer(api_tokens(Client(), user)["access"])
    return Client().post("/api/files/", body, headers=headers)


def _attached(chat: ChatSession) -> list[str]:
    return [file.name for file in chat.files.all()]


def test_an_upload_naming_a_chat_is_attached_to_it(
    alice: User, alice_chat: ChatSession, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(alice, alice_chat.pk)
    assert response.status_code == 201, response.content
    assert (response.json()["name"], response.json()["chat_id"]) == (NAME, alice_chat.pk)
    assert _attached(alice_chat) == [NAME]
    events = asyncio.run(live_state.aevents_since(alice.pk, 0)).events
    updated = [e for e in events if e["type"] == "chat.updated"]
    assert updated[-1]["chat"]["file_ids"] == [response.json()["id"]]
    assert updated[-1]["chat"]["files"][0]["name"] == NAME


def test_the_same_bytes_again_attach_the_file_already_there(alice: User) -> None:
    first_chat = ChatSession.objects.create(owner=alice)
    second_chat = ChatSession.objects.create(owner=alice)
    first = _upload(alice, first_chat.pk)
    again = _upload(alice, str(second_chat.pk), name="copy.txt")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == first.json()["id"]
    assert _attached(first_chat) == _attached(second_chat) == [NAME]
    assert UserFile.objects.for_user(alice).count() == 1
    assert _upload(alice, second_chat.pk).status_code == 200  # attaching twice is no error
    assert _attached(second_chat) == [NAME]


def test_bob_cannot_attach_to_alices_chat(bob: User, alice_chat: ChatSession) -> None:
    response = _upload(bob, alice_chat.pk)
    assert response.status_code == 404
    assert response.json() == {"detail": "There is no such chat."}
    assert not UserFile.objects.for_user(bob).exists()
    assert _attached(alice_chat) == []


@pytest.mark.parametrize("chat_id", ["abc", "-1", "1.0", "9" * 30, "\u0661"])
def test_a_chat_id_that_is_no_id_is_a_400(alice: User, chat_id: str) -> None:
    response = _upload(alice, chat_id)
    assert response.status_code == 400
    assert response.json()["errors"]["chat_id"] == ["Give the id of one of your chats."]
    assert not UserFile.objects.for_user(alice).exists()


def test_an_unknown_chat_is_a_404(alice: User) -> None:
    assert _upload(alice, 10**12).status_code == 404


def test_a_refused_upload_attaches_nothing(
    alice: User, alice_chat: ChatSession, settings: Any
) -> None:
    unreadable = _upload(alice, alice_chat.pk, name="tool.exe", data=b"MZ\x90\x00\x03" + bytes(300))
    assert unreadable.status_code == 415
    settings.ONYX_MAX_UPLOAD_MB = 1
    huge = _upload(alice, alice_chat.pk, data=b"a" * (1024 * 1024 + 10))
    assert huge.status_code == 413
    assert _attached(alice_chat) == []
    assert not UserFile.objects.for_user(alice).exists()


def test_the_chat_api_shows_its_files(alice: User, alice_chat: ChatSession) -> None:
    _upload(alice, alice_chat.pk)
    headers = bearer(api_tokens(Client(), alice)["access"])
    chat = Client().get(f"/api/chats/{alice_chat.pk}/", headers=headers).json()
    assert [(f["name"], f["kind"], f["status"]) for f in chat["files"]] == [
        (NAME, "text", "uploaded")
    ]


def test_attaching_from_the_chat_page_shows_the_file_there(
    alice: User, alice_client: Client, alice_chat: ChatSession
) -> None:
    response = alice_client.post(
        "/files/upload/",
        {"chat_id": alice_chat.pk, "file": SimpleUploadedFile(NAME, BYTES)},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/chats/{alice_chat.pk}/"
    page = alice_client.get(response["Location"]).content.decode()
    chips = page.split('data-role="attached-files"', 1)[1].split("</ul>", 1)[0]
    assert NAME in chips
    assert 'data-status="uploaded"' in chips


def test_bob_cannot_attach_from_a_page_to_alices_chat(
    bob_client: Client, bob: User, alice_chat: ChatSession
) -> None:
    response = bob_client.post(
        "/files/upload/", {"chat_id": alice_chat.pk, "file": SimpleUploadedFile(NAME, BYTES)}
    )
    assert response.status_code == 404
    assert not UserFile.objects.for_user(bob).exists()


@pytest.mark.django_db(transaction=True)
def test_files_attached_at_the_same_moment_all_stay(
    alice: User, alice_chat: ChatSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_file(owner=alice, name="first — 一.txt")
    second = make_file(owner=alice, name="second — 二.txt")
    first_attached = threading.Event()

    def attach_first_elsewhere() -> None:
        try:
            chat = ChatSession.objects.for_user(alice).get(pk=alice_chat.pk)
            services.attach_file(chat=chat, file=first)
        finally:
            connections.close_all()
        first_attached.set()

    reading = selectors.files_of_chat

    def read_while_another_upload_attaches(user: User, chat: ChatSession) -> Any:
        attached = list(reading(user, chat))
        # Between this request's reading and its writing, another upload attaches and commits.
        other = threading.Thread(target=attach_first_elsewhere)
        other.start()
        other.join()
        return attached

    monkeypatch.setattr(selectors, "files_of_chat", read_while_another_upload_attaches)
    services.attach_file(chat=alice_chat, file=second)
    if not first_attached.is_set():  # attaching read nothing first: the other one comes now
        attach_first_elsewhere()
    assert sorted(_attached(alice_chat)) == ["first — 一.txt", "second — 二.txt"]


def _chooser(page: str) -> str:
    return page.split('class="chat-files"', 1)[1].split("</form>", 1)[0]


def test_the_chooser_lists_the_attached_files_and_the_newest_others(
    alice: User, alice_client: Client, alice_chat: ChatSession, bob: User
) -> None:
    files = many_files(alice, CHOOSER_FILES + 10, name="Rapport n°{n:02d} 報告 📊.txt")
    oldest_two = files[:2]
    services.update_chat(chat=alice_chat, files=oldest_two)
    chooser = _chooser(alice_client.get(f"/chats/{alice_chat.pk}/").content.decode())
    listed = [f for f in files if f'value="{f.pk}"' in chooser]
    # Made one after the other: the newest are the last made.
    assert listed == [*oldest_two, *files[-(CHOOSER_FILES - 2) :]]
    assert chooser.count("checked") == 2
    assert "Your 10 older files are not listed here." in chooser
    # An unlisted file of hers can still be chosen; one of Bob's cannot.
    unlisted = files[5]
    response = alice_client.post(f"/chats/{alice_chat.pk}/files/", {"use_files": [unlisted.pk]})
    assert response.status_code == 302
    assert _attached(alice_chat) == [unlisted.name]
    [bobs] = many_files(bob, 1, name="Bob 秘密.txt")
    alice_client.post(f"/chats/{alice_chat.pk}/files/", {"use_files": [bobs.pk]})
    assert _attached(alice_chat) == [unlisted.name]


def test_a_chat_with_more_files_attached_than_the_chooser_lists_shows_them_all_ticked(
    alice: User, alice_client: Client, alice_chat: ChatSession
) -> None:
    files = many_files(alice, CHOOSER_FILES + 3, name="Akte {n:02d} — 文件 🗂.txt")
    attached = files[: CHOOSER_FILES + 1]
    services.update_chat(chat=alice_chat, files=attached)
    chooser = _chooser(alice_client.get(f"/chats/{alice_chat.pk}/").content.decode())
    assert [f for f in files if f'value="{f.pk}"' in chooser] == attached
    assert chooser.count("checked") == CHOOSER_FILES + 1
    assert "Your 2 older files are not listed here." in chooser


def test_a_chip_removes_its_file_only_without_javascript(
    alice: User, alice_client: Client, alice_chat: ChatSession, bob: User
) -> None:
    menu, notes, later = (
        make_file(owner=alice, name=name) for name in ("Menü ☕.txt", "笔记.md", "Später 🕒.txt")
    )
    services.update_chat(chat=alice_chat, files=[menu, notes])
    page = alice_client.get(f"/chats/{alice_chat.pk}/").content.decode()
    # Each chip's form names its own file, not the others: its size does not grow with them.
    assert page.count('name="detach"') == 2
    # Attached from another tab after this page was loaded: removing a chip keeps it.
    services.attach_file(chat=alice_chat, file=later)
    response = alice_client.post(f"/chats/{alice_chat.pk}/files/", {"detach": menu.pk})
    assert response.status_code == 302
    assert sorted(_attached(alice_chat)) == sorted([notes.name, later.name])
    assert (
        "no longer answers from Menü ☕.txt"
        in alice_client.get(response["Location"]).content.decode()
    )
    # Another user's file, or no file at all: refused, and nothing changes.
    [bobs] = many_files(bob, 1, name="Bob 秘密.txt")
    for bad in ({"detach": bobs.pk}, {"detach": "x"}, {"detach": ""}):
        response = alice_client.post(f"/chats/{alice_chat.pk}/files/", bad)
        assert response.status_code == 302
        assert (
            "Choose among your own files."
            in alice_client.get(response["Location"]).content.decode()
        )
        assert sorted(_attached(alice_chat)) == sorted([notes.name, later.name])
    for file in (notes, later):
        alice_client.post(f"/chats/{alice_chat.pk}/files/", {"detach": file.pk})
    assert _attached(alice_chat) == []
    page = alice_client.get(f"/chats/{alice_chat.pk}/").content.decode()
    assert "This chat now answers from all your files." in page
    # Another user's chat: not found.
    bob_chat = make_chat(owner=bob)
    response = alice_client.post(f"/chats/{bob_chat.pk}/files/", {"detach": menu.pk})
    assert response.status_code == 404


def test_a_few_files_are_all_listed(
    alice: User, alice_client: Client, alice_chat: ChatSession
) -> None:
    files = many_files(alice, 3, name="Menu {n} café ☕.txt")
    chooser = _chooser(alice_client.get(f"/chats/{alice_chat.pk}/attachments/").content.decode())
    assert [f'value="{f.pk}"' in chooser for f in files] == [True] * 3
    assert 'data-testid="files-unlisted"' not in chooser


def test_the_chips_and_the_chooser_list_names_in_the_same_readers_order(
    alice: User, alice_client: Client, alice_chat: ChatSession
) -> None:
    # Made in an order of their own; by code point (PostgreSQL's C collation) "Zoo" and "Apple"
    # would come before "banana", and "éclair" after "zèbre".
    names = [
        "zèbre.txt",
        "éclair.txt",
        "Zoo.md",
        "日本語.txt",
        "banana.txt",
        "🙂 notes.txt",
        "Apple.txt",
    ]
    files = [make_file(owner=alice, name=name) for name in names]
    services.update_chat(chat=alice_chat, files=files)
    page = alice_client.get(f"/chats/{alice_chat.pk}/attachments/").content.decode()
    chips, chooser = page.split('class="attached-files"', 1)[1], _chooser(page)
    in_order = [
        "Apple.txt",
        "banana.txt",
        "éclair.txt",
        "zèbre.txt",
        "Zoo.md",
        "日本語.txt",
        "🙂 notes.txt",
    ]
    by_name = {file.name: file for file in files}
    assert sorted(names, key=lambda name: chips.index(f"Remove {name} ")) == in_order
    values = [f'value="{by_name[name].pk}"' for name in names]
    assert sorted(values, key=chooser.index) == [f'value="{by_name[name].pk}"' for name in in_order]


def test_a_message_sent_tells_every_tab_the_chat_with_its_files(
    alice: User, alice_chat: ChatSession, django_capture_on_commit_callbacks: Any
) -> None:
    files = many_files(alice, 3, name="Pièce {n} — 附件 📎.txt")
    services.update_chat(chat=alice_chat, files=files[:2])
    with django_capture_on_commit_callbacks(execute=True):
        services.post_message(user=alice, chat=alice_chat, content="Résume-les, 请 🙏")
    events = asyncio.run(live_state.aevents_since(alice.pk, 0)).events
    updated = [e for e in events if e["type"] == "chat.updated"]
    headers = bearer(api_tokens(Client(), alice)["access"])
    shown = Client().get(f"/api/chats/{alice_chat.pk}/", headers=headers).json()
    assert updated[-1]["chat"] == shown
    assert [f["name"] for f in shown["files"]] == ["Pièce 0 — 附件 📎.txt", "Pièce 1 — 附件 📎.txt"]
