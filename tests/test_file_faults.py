"""Reading files survives its worker and hostile files: a files worker killed mid-file, bombs that
unpack into millions of parts, NUL characters, and files left stuck that are read again."""

from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.models import User
from files.models import FileChunk, UserFile
from tests.conftest import WorkerProcesses, api_tokens, bearer, wait_for_file
from tests.file_samples import (
    docx_with_paragraphs,
    pdf_bytes,
    pdf_repeating_one_page,
    pdf_with_pages,
    xlsx_with_rows,
)
from tests.waiting import wait_until
from tests.workers import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)

# A PDF of 6,000 pages takes its reader a couple of seconds: long enough to be caught reading.
LONG_PDF = (6, 20, 50)
# 50,000 pages take more than 15 s, when a worker allows that many.
ENDLESS_PDF = (20, 50, 50)
MANY_PAGES_ALLOWED = {"ONYX_EXTRACT_MAX_PAGES": "100000"}


def _headers(user: User) -> dict[str, str]:
    return bearer(api_tokens(Client(), user)["access"])


def _upload(headers: dict[str, str], name: str, data: bytes) -> Any:
    return Client().post(
        "/api/files/",
        {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream")},
        headers=headers,
    )


def _uploaded(headers: dict[str, str], name: str, data: bytes) -> int:
    response = _upload(headers, name, data)
    assert response.status_code == 201, response.content
    file_id: int = response.json()["id"]
    return file_id


def _status(file_id: int) -> str:
    return str(UserFile.objects.filter(pk=file_id).values_list("status", flat=True).get())


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (the extraction child of a files worker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def _rss_kb(worker: WorkerProcess) -> int:
    status = Path(f"/proc/{worker.process.pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(line.split()[1])


def _text_of(file: UserFile) -> str:
    return "".join(
        FileChunk.objects.for_user(file.owner).filter(file=file).values_list("text", flat=True)
    )


def _reading(file_id: int, worker: WorkerProcess) -> list[int] | None:
    """The worker's reader process, once the file is being read."""
    return (_status(file_id) == "processing" and _children(worker.process.pid)) or None


def test_a_file_cut_by_a_killed_worker_is_taken_by_another(
    alice: User, worker_processes: WorkerProcesses
) -> None:
    first = worker_processes.start("files", **MANY_PAGES_ALLOWED)
    file_id = _uploaded(_headers(alice), "atlas.pdf", pdf_repeating_one_page(ENDLESS_PDF))
    [reader] = wait_until(lambda: _reading(file_id, first), what="the file to be read")
    first.kill()
    assert _status(file_id) == "processing"
    # Its reader does not live on as an orphan for the 15 s its reading would take, holding
    # CPU and memory for a job that is no longer its own.
    wait_until(lambda: _gone(reader), timeout=8, what=f"the reader {reader} to end")

    worker_processes.start("files")  # with the usual limit on pages
    file = wait_for_file(alice, file_id, timeout=40)
    assert (file.status, file.error) == (
        "failed",
        "This PDF has 50,000 pages; at most 2,000 can be read.",
    )


def test_sigterm_past_the_grace_period_hands_a_file_back_and_ends_its_reader(
    alice: User, worker_processes: WorkerProcesses
) -> None:
    worker = worker_processes.start(
        "files", ONYX_WORKER_GRACEFUL_SECONDS="0.1", **MANY_PAGES_ALLOWED
    )
    file_id = _uploaded(_headers(alice), "report.pdf", pdf_repeating_one_page(LONG_PDF))
    [reader] = wait_until(lambda: _reading(file_id, worker), what="the file to be read")
    assert worker.terminate() == 0
    wait_until(lambda: _gone(reader), what="the reader to end")
    job = ProcrastinateJob.objects.get(pk=UserFile.objects.get(pk=file_id).job_id)
    assert job.status == "todo"  # handed back for the next worker

    worker_processes.start("files", **MANY_PAGES_ALLOWED)
    file = wait_for_file(alice, file_id, timeout=40)
    assert (file.status, file.error, file.page_count) == ("ready", "", 6000)


BOMBS = {
    "docx": (
        "notes.docx",
        lambda: docx_with_paragraphs(1_000_000),
        "This document has more than 200,000 paragraphs; split it into smaller files.",
    ),
    "xlsx": (
        "sheet.xlsx",
        lambda: xlsx_with_rows(2_000_000),
        "This spreadsheet has more than 200,000 rows; split it into smaller files.",
    ),
    "pdf": (
        "slides.pdf",
        lambda: pdf_repeating_one_page((20, 50, 50)),
        "This PDF has 50,000 pages; at most 2,000 can be read.",
    ),
}


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_a_bomb_fails_with_a_reason_while_the_server_keeps_answering(
    server_url: str, alice: User, bob: User, worker_processes: WorkerProcesses, kind: str
) -> None:
    name, make, reason = BOMBS[kind]
    bomb = make()
    assert len(bomb) < 200_000  # small on disk
    worker = worker_processes.start("files")
    rss_before = _rss_kb(worker)
    with httpx.Client(base_url=server_url, headers=_headers(bob), timeout=10) as bob_api:
        response = httpx.post(
            f"{server_url}/api/files/",
            files={"file": (name, bomb, "application/octet-stream")},
            headers=_headers(alice),
            timeout=30,
        )
        assert response.status_code == 201, response.text
        file_id = response.json()["id"]

        def bob_answered_while_it_was_read() -> bool:
            was_processing = _status(file_id) == "processing"
            answer = bob_api.get("/api/auth/me/")
            assert answer.status_code == 200, answer.text
            assert answer.json()["email"] == bob.email
            return was_processing and _status(file_id) == "processing"

        wait_until(bob_answered_while_it_was_read, what="an answer to bob while the bomb is read")
    file = wait_for_file(alice, file_id, timeout=60)
    assert (file.status, file.error) == ("failed", reason)
    assert not FileChunk.objects.for_user(alice).filter(file=file).exists()
    # The worker itself never held the unpacked file: its reader is a child with RLIMIT_AS.
    assert _rss_kb(worker) - rss_before < 50 * 1024


def test_nul_characters_are_removed_from_what_is_stored(
    alice: User, worker_processes: WorkerProcesses
) -> None:
    worker_processes.start("files")
    headers = _headers(alice)
    # Past the first 64 KB that decide the kind, a NUL does not make a text file binary.
    text = "Bonjour, café ☕ 東京\n" * 4000 + "avant\x00après\n"
    txt_id = _uploaded(headers, "notes.txt", text.encode())
    pdf_id = _uploaded(headers, "scan.pdf", pdf_with_pages([b"before\\000after", b"second"]))
    for file_id, expected in ((txt_id, "avantaprès"), (pdf_id, "beforeafter")):
        file = wait_for_file(alice, file_id)
        assert (file.status, file.error) == ("ready", "")
        stored = _text_of(file)
        assert "\x00" not in stored
        assert expected in stored
    # A NUL where the kind is decided: not text, refused at upload with the reason.
    refused = _upload(headers, "binary.txt", b"abc\x00def")
    assert refused.status_code == 415
    assert "This kind of file can't be read." in refused.json()["detail"]


def test_a_file_stuck_with_no_job_left_can_be_retried(
    alice: User, worker_processes: WorkerProcesses
) -> None:
    headers = _headers(alice)
    file_id = _uploaded(headers, "notes.txt", "Carnet: 🙂 Zürich".encode())
    # Its job is still queued: a retry now would read it twice.
    refused = Client().post(f"/api/files/{file_id}/retry/", headers=headers)
    assert refused.status_code == 400
    assert "being read now" in refused.json()["detail"]
    # Stuck as a worker lost before procrastinate kept its jobs would leave it.
    file = UserFile.objects.for_user(alice).get(pk=file_id)
    ProcrastinateJob.objects.filter(pk=file.job_id).delete()
    UserFile.objects.for_user(alice).filter(pk=file_id).update(status="processing")

    retried = Client().post(f"/api/files/{file_id}/retry/", headers=headers)
    assert retried.status_code == 202, retried.content
    worker_processes.start("files")
    file = wait_for_file(alice, file_id)
    assert file.status == "ready"
    assert "Zürich" in _text_of(file)


def test_uploading_the_bytes_of_a_failed_file_again_reads_it_again(
    alice: User, worker_processes: WorkerProcesses
) -> None:
    headers = _headers(alice)
    data = pdf_bytes("Quarterly numbers")
    file_id = _uploaded(headers, "numbers.pdf", data)
    # It failed once (say its reader was stopped); the same bytes come again.
    file = UserFile.objects.for_user(alice).get(pk=file_id)
    ProcrastinateJob.objects.filter(pk=file.job_id).delete()
    UserFile.objects.for_user(alice).filter(pk=file_id).update(status="failed", error="Stopped.")

    again = _upload(headers, "numbers again.pdf", data)
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["duplicate"]) == (file_id, True)
    assert again.json()["status"] == "uploaded"
    worker_processes.start("files")
    file = wait_for_file(alice, file_id)
    assert (file.status, file.error) == ("ready", "")
    assert "Quarterly numbers" in _text_of(file)
