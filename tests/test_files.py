"""Files: upload, background reading, limits, downloads, deletion, and answers that cite them."""

import json
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from files.models import FileChunk, UserFile
from tests.conftest import api_tokens, bearer, sign_in, wait_for_reply
from tests.factories import many_files
from tests.file_samples import encrypted_pdf_bytes, pdf_bomb_bytes, pdf_bytes, samples
from tests.waiting import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("worker")]

FACT = "The launch code for Project Heron is 4471 zebra"


def _api(user: User) -> tuple[Client, dict[str, str]]:
    return Client(), bearer(api_tokens(Client(), user)["access"])


def _upload(
    client: Client,
    headers: dict[str, str],
    name: str,
    data: bytes,
    content_type: str = "application/octet-stream",
) -> Any:
    return client.post(
        "/api/files/",
        {"file": SimpleUploadedFile(name, data, content_type=content_type)},
        headers=headers,
    )


def _uploaded_and_read(
    client: Client, headers: dict[str, str], name: str, data: bytes
) -> dict[str, Any]:
    response = _upload(client, headers, name, data)
    assert response.status_code == 201, response.content
    return _once_read(client, headers, response.json()["id"])


def _once_read(client: Client, headers: dict[str, str], file_id: int) -> dict[str, Any]:
    def read() -> dict[str, Any] | None:
        file: dict[str, Any] = client.get(f"/api/files/{file_id}/", headers=headers).json()
        return file if file["status"] in ("ready", "failed") else None

    return wait_until(read, timeout=30, what=f"file {file_id} to be read")


@pytest.mark.parametrize("kind", ["text", "markdown", "csv", "json", "html", "pdf", "docx", "xlsx"])
def test_each_kind_is_detected_and_its_text_extracted(alice: User, kind: str) -> None:
    client, headers = _api(alice)
    name, data = samples(FACT)[kind]
    file = _uploaded_and_read(client, headers, name, data)
    assert file["kind"] == kind
    assert file["status"] == "ready", file["error"]
    chunks = client.get(f"/api/files/{file['id']}/chunks/", headers=headers).json()
    text = " ".join(chunk["text"] for chunk in chunks)
    assert "4471 zebra" in text
    if kind == "html":
        assert "var x" not in text
    if kind == "pdf":
        assert file["page_count"] == 1
    if kind in ("csv", "xlsx"):
        assert file["row_count"] >= 2


def test_the_type_comes_from_the_content_not_the_name(alice: User) -> None:
    client, headers = _api(alice)
    disguised = _upload(client, headers, "photo.png", pdf_bytes(FACT), content_type="image/png")
    assert disguised.status_code == 201
    assert disguised.json()["kind"] == "pdf"
    binary = _upload(
        client,
        headers,
        "notes.txt",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        content_type="text/plain",
    )
    assert binary.status_code == 415
    assert "Accepted: plain text, Markdown, CSV, JSON, HTML, PDF" in binary.json()["detail"]


def test_an_oversized_file_is_a_413_and_nothing_is_kept(alice: User, settings: Any) -> None:
    settings.ONYX_MAX_UPLOAD_MB = 1
    client, headers = _api(alice)
    response = _upload(client, headers, "big.txt", b"a" * (1024 * 1024 + 10))
    assert response.status_code == 413
    assert response.json()["detail"] == "This file is larger than the 1 MB limit."
    assert not UserFile.objects.for_user(alice).exists()


def test_the_storage_quota_is_a_413_with_what_is_used(alice: User, settings: Any) -> None:
    settings.ONYX_USER_QUOTA_MB = 1
    client, headers = _api(alice)
    assert _upload(client, headers, "a.txt", b"a" * 700_000).status_code == 201
    response = _upload(client, headers, "b.txt", b"b" * 700_000)
    assert response.status_code == 413
    assert "Not enough storage left" in response.json()["detail"]
    assert UserFile.objects.for_user(alice).count() == 1


def test_names_are_cleaned_and_never_used_as_paths(alice: User) -> None:
    client, headers = _api(alice)
    evil = "../../etc/pass\x00wd\x1b[31m.txt"
    file = _upload(client, headers, evil, b"hello world").json()
    assert file["name"] == "passwd[31m.txt"  # path parts and control characters gone
    stored = UserFile.objects.for_user(alice).get(pk=file["id"]).storage_name
    assert stored.startswith(f"uploads/{alice.pk}/")
    assert ".." not in stored
    long_name = "x" * 400 + ".md"
    assert len(_upload(client, headers, long_name, b"# long").json()["name"]) <= 200


def test_the_same_content_twice_is_one_file(alice: User) -> None:
    client, headers = _api(alice)
    first = _upload(client, headers, "a.txt", b"same bytes")
    again = _upload(client, headers, "b.txt", b"same bytes")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == first.json()["id"]
    assert UserFile.objects.for_user(alice).count() == 1


def test_a_file_that_cannot_be_read_fails_with_a_reason(alice: User) -> None:
    client, headers = _api(alice)
    file = _uploaded_and_read(client, headers, "locked.pdf", encrypted_pdf_bytes(FACT))
    assert file["status"] == "failed"
    assert "encrypted" in file["error"]


def test_retry_reads_a_failed_file_again(alice: User) -> None:
    client, headers = _api(alice)
    file = _uploaded_and_read(client, headers, "broken.pdf", b"%PDF-1.4\nnot really a pdf")
    assert file["status"] == "failed"
    assert "damaged" in file["error"]
    stored = UserFile.objects.for_user(alice).get(pk=file["id"]).storage_name
    default_storage.delete(stored)  # the storage hiccup is over: the right bytes are back
    with default_storage.open(stored, "wb") as replacement:
        replacement.write(pdf_bytes(FACT))
    assert client.post(f"/api/files/{file['id']}/retry/", headers=headers).status_code == 202
    assert _once_read(client, headers, file["id"])["status"] == "ready"
    again = client.post(f"/api/files/{file['id']}/retry/", headers=headers)
    assert again.status_code == 400
    assert again.json()["detail"] == "This file was read already; there is nothing to retry."


def test_downloads_are_attachments_with_the_original_name(alice: User) -> None:
    client, headers = _api(alice)
    file = _upload(client, headers, "résumé notes.txt", b"hello").json()
    response = client.get(f"/api/files/{file['id']}/download/", headers=headers)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"  # type: ignore[attr-defined]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''r%C3%A9sum%C3%A9%20notes.txt" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"


def test_delete_removes_bytes_chunks_and_row(alice: User) -> None:
    client, headers = _api(alice)
    file = _uploaded_and_read(client, headers, "notes.txt", FACT.encode())
    stored = UserFile.objects.for_user(alice).get(pk=file["id"]).storage_name
    assert default_storage.exists(stored)
    assert client.delete(f"/api/files/{file['id']}/", headers=headers).status_code == 204
    assert not default_storage.exists(stored)
    assert not FileChunk.objects.for_user(alice).exists()
    assert not UserFile.objects.for_user(alice).exists()


def test_without_javascript_deleting_a_file_asks_on_a_page_first(alice: User) -> None:
    client, headers = _api(alice)
    file = _uploaded_and_read(client, headers, "Überblick — 概要 📎.txt", FACT.encode())
    browser = sign_in(alice)
    asked = browser.post(f"/files/{file['id']}/delete/")
    assert asked.status_code == 200
    page = asked.content.decode()
    assert "Delete “Überblick — 概要 📎.txt”?" in page
    assert '<input type="hidden" name="confirmed" value="yes">' in page
    assert UserFile.objects.for_user(alice).filter(pk=file["id"]).exists()
    done = browser.post(f"/files/{file['id']}/delete/", {"confirmed": "yes"}, follow=True)
    assert "Deleted “Überblick — 概要 📎.txt”." in done.content.decode()
    assert not UserFile.objects.for_user(alice).filter(pk=file["id"]).exists()


def test_bob_gets_404_for_alices_file_everywhere(alice: User, bob: User) -> None:
    alice_client, alice_headers = _api(alice)
    file = _uploaded_and_read(alice_client, alice_headers, "notes.txt", FACT.encode())
    bob_client, bob_headers = _api(bob)
    for path in ("", "download/", "chunks/"):
        assert (
            bob_client.get(f"/api/files/{file['id']}/{path}", headers=bob_headers).status_code
            == 404
        )
    assert bob_client.delete(f"/api/files/{file['id']}/", headers=bob_headers).status_code == 404
    assert (
        bob_client.post(f"/api/files/{file['id']}/retry/", headers=bob_headers).status_code == 404
    )
    bob_browser = sign_in(bob)
    for path in ("", "download/"):
        assert bob_browser.get(f"/files/{file['id']}/{path}").status_code == 404
    assert bob_browser.post(f"/files/{file['id']}/delete/").status_code == 404
    assert bob_client.get("/api/files/", headers=bob_headers).json()["results"] == []
    assert UserFile.objects.for_user(alice).filter(pk=file["id"]).exists()


def _ask(client: Client, headers: dict[str, str], user: User, question: str) -> ChatMessage:
    chat = ChatSession.objects.create(owner=user)
    posted = client.post(
        f"/api/chats/{chat.pk}/messages/",
        json.dumps({"content": question}),
        content_type="application/json",
        headers=headers,
    ).json()
    return wait_for_reply(user, posted["reply"]["id"])


def test_a_question_about_a_fact_in_a_file_is_answered_from_it_with_a_citation(alice: User) -> None:
    client, headers = _api(alice)
    file = _uploaded_and_read(client, headers, "heron-briefing.pdf", pdf_bytes(FACT))
    reply = _ask(client, headers, alice, "What is the launch code for Project Heron?")
    assert "4471 zebra" in reply.content
    assert "heron-briefing.pdf" in reply.content
    assert reply.citations[0]["file_id"] == file["id"]
    assert reply.citations[0]["file_name"] == "heron-briefing.pdf"
    assert "4471" in reply.citations[0]["passage"]
    cited = FileChunk.objects.for_user(alice).get(
        file_id=file["id"], index=reply.citations[0]["chunk_index"]
    )
    assert "4471" in cited.text


def test_bob_is_never_answered_from_alices_files(alice: User, bob: User) -> None:
    alice_client, alice_headers = _api(alice)
    _uploaded_and_read(alice_client, alice_headers, "heron.txt", FACT.encode())
    bob_client, bob_headers = _api(bob)
    reply = _ask(bob_client, bob_headers, bob, "What is the launch code for Project Heron?")
    assert "4471" not in reply.content
    assert reply.citations == []


def test_a_question_while_a_file_is_being_read_says_so(alice: User) -> None:
    UserFile.objects.create(
        owner=alice,
        name="big-report.pdf",
        storage_name="uploads/x/pending",
        size=1,
        kind="pdf",
        content_type="application/pdf",
        sha256="0" * 64,
        status="processing",
    )
    client, headers = _api(alice)
    reply = _ask(client, headers, alice, "What does the big report say?")
    assert "Not ready yet" in reply.content
    assert "big-report.pdf" in reply.content


def test_a_deleted_file_is_no_longer_used_as_context(alice: User) -> None:
    client, headers = _api(alice)
    file = _uploaded_and_read(client, headers, "heron.txt", FACT.encode())
    client.delete(f"/api/files/{file['id']}/", headers=headers)
    reply = _ask(client, headers, alice, "What is the launch code for Project Heron?")
    assert "4471" not in reply.content


def test_the_files_page_uploads_several_files_and_explains_refusals(alice: User) -> None:
    browser = sign_in(alice)
    ok = browser.post(
        "/files/upload/",
        {"file": [SimpleUploadedFile("a.txt", b"first"), SimpleUploadedFile("b.md", b"# second")]},
    )
    assert ok.status_code == 302
    assert UserFile.objects.for_user(alice).count() == 2
    refused = browser.post(
        "/files/upload/", {"file": [SimpleUploadedFile("x.bin", b"\x00\x01\x02")]}
    )
    assert refused.status_code == 400
    assert b"x.bin" in refused.content
    assert b"can&#x27;t be read. Accepted:" in refused.content
    page = browser.get("/files/").content.decode()
    assert "a.txt" in page
    assert "b.md" in page


def test_the_upload_page_needs_the_csrf_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/files/upload/", {"file": [SimpleUploadedFile("a.txt", b"x")]})
    assert response.status_code == 403
    assert not UserFile.objects.for_user(alice).exists()


def test_a_chat_answers_only_from_its_attached_files(alice: User, bob: User) -> None:
    client, headers = _api(alice)
    heron = _uploaded_and_read(client, headers, "heron.txt", FACT.encode())
    other = _uploaded_and_read(
        client, headers, "other.txt", b"Project Heron also has a mascot, a grey bird."
    )
    chat = ChatSession.objects.create(owner=alice)
    patched = client.patch(
        f"/api/chats/{chat.pk}/",
        json.dumps({"file_ids": [other["id"]]}),
        content_type="application/json",
        headers=headers,
    )
    assert patched.status_code == 200
    assert patched.json()["file_ids"] == [other["id"]]
    posted = client.post(
        f"/api/chats/{chat.pk}/messages/",
        json.dumps({"content": "What is the launch code for Project Heron?"}),
        content_type="application/json",
        headers=headers,
    ).json()
    reply = wait_for_reply(alice, posted["reply"]["id"])
    assert "4471" not in reply.content
    assert {c["file_id"] for c in reply.citations} == {other["id"]}
    assert heron["id"] not in {c["file_id"] for c in reply.citations}

    bob_client, bob_headers = _api(bob)
    bob_chat = ChatSession.objects.create(owner=bob)
    refused = bob_client.patch(
        f"/api/chats/{bob_chat.pk}/",
        json.dumps({"file_ids": [heron["id"]]}),
        content_type="application/json",
        headers=bob_headers,
    )
    assert refused.status_code == 400
    assert not bob_chat.files.exists()


def test_the_chat_page_attaches_files_with_a_scoped_form(alice: User, bob: User) -> None:
    client, headers = _api(alice)
    file = _uploaded_and_read(client, headers, "heron.txt", FACT.encode())
    browser = sign_in(alice)
    chat = ChatSession.objects.create(owner=alice)
    assert "heron.txt" in browser.get(f"/chats/{chat.pk}/").content.decode()
    browser.post(f"/chats/{chat.pk}/files/", {"use_files": [file["id"]]})
    assert list(chat.files.values_list("pk", flat=True)) == [file["id"]]
    bob_browser = sign_in(bob)
    bob_chat = ChatSession.objects.create(owner=bob)
    bob_browser.post(f"/chats/{bob_chat.pk}/files/", {"use_files": [file["id"]]})
    assert not bob_chat.files.exists()


@pytest.mark.parametrize(
    ("unpacked_mb", "memory_mb", "reason"),
    [
        # Past pypdf's own limit on what one stream may unpack to (75 MB).
        (1024, 1024, "A page of this PDF unpacks to more than can be read; it may be too complex."),
        # Under it, but past the memory the reading process may take (RLIMIT_AS).
        (
            70,
            128,
            "Reading this file needs more than the 128 MB of memory allowed; it may be "
            "too complex.",
        ),
    ],
)
def test_a_decompression_bomb_fails_with_a_reason_and_reading_goes_on(
    alice: User, settings: Any, unpacked_mb: int, memory_mb: int, reason: str
) -> None:
    settings.ONYX_EXTRACT_MEMORY_MB = memory_mb
    client, headers = _api(alice)
    bomb = pdf_bomb_bytes(megabytes=unpacked_mb)
    assert len(bomb) < unpacked_mb * 1024 * 1024 / 500  # small to upload, huge once read
    read = _uploaded_and_read(client, headers, "harmlos.pdf", bomb)
    assert (read["status"], read["error"]) == ("failed", reason)
    # Only that reading process ended: the next file, under the same limit, is read as usual.
    after = _uploaded_and_read(client, headers, "danach.pdf", pdf_bytes(FACT))
    assert after["status"] == "ready"


NOTES = "Notes n°{n:03d} — 議事録 📝.txt"


def test_the_files_page_lists_fifty_files_a_page_newest_first(alice: User, bob: User) -> None:
    mine = many_files(alice, 53, name=NOTES)
    bobs = many_files(bob, 3, name=NOTES)
    browser = sign_in(alice)
    first = browser.get("/files/").content.decode()
    # Made one after the other: the newest are the last made.
    assert first.count('class="file-row"') == 50
    assert "Notes n°052 — 議事録 📝.txt" in first
    assert "Notes n°002 — 議事録 📝.txt" not in first
    assert "Page 1 of 2 · 53 files" in first
    assert 'href="?page=2" rel="next"' in first
    assert 'data-newest-first-page="true"' in first
    second = browser.get("/files/?page=2").content.decode()
    assert [f'data-file-id="{f.pk}"' in second for f in mine[:3]] == [True] * 3
    assert second.count('class="file-row"') == 3
    assert 'href="?page=1" rel="prev"' in second
    assert 'data-newest-first-page="false"' in second
    # Bob's files are on no page of Alice's.
    assert not [f.pk for f in bobs if f'data-file-id="{f.pk}"' in first + second]


@pytest.mark.parametrize(
    ("asked", "shown"), [("abc", 1), ("²", 1), ("-1", 1), ("0", 1), ("", 1), ("999", 2)]
)
def test_a_page_of_files_that_does_not_exist_shows_the_first_or_last(
    alice: User, asked: str, shown: int
) -> None:
    many_files(alice, 51, name=NOTES)
    response = sign_in(alice).get("/files/", {"page": asked})
    assert response.status_code == 200
    assert f"Page {shown} of 2 · 51 files" in response.content.decode()


def test_a_few_files_show_no_pages(alice: User) -> None:
    many_files(alice, 3, name=NOTES)
    page = sign_in(alice).get("/files/").content.decode()
    assert page.count('class="file-row"') == 3
    assert 'data-testid="file-pages"' not in page
