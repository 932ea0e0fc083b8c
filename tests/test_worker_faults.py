"""Replies survive their worker: killed (SIGKILL) or stopped (SIGTERM) mid-reply, real worker
processes, a real server and an API client's socket that must end with the whole reply."""

import json

import pytest
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from chats.providers.builtin import NO_MODEL_REPLY
from onyx_site import live_state
from tests.conftest import WorkerProcesses, api_tokens, bearer, wait_for_reply
from tests.fake_openai_server import FakeOpenAIServer, Script
from tests.live_socket import LiveSocket
from tests.waiting import wait_until
from tests.workers import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)

# The built-in model's words, this many seconds apart: a reply lasts a few seconds, long
# enough to be caught in the middle.
SLOW_WORDS = "0.1"


@pytest.fixture
def alice_access(alice: User) -> str:
    return api_tokens(Client(), alice)["access"]


def _send(access: str, chat: ChatSession, content: str) -> int:
    response = Client().post(
        f"/api/chats/{chat.pk}/messages/",
        json.dumps({"content": content}),
        content_type="application/json",
        headers=bearer(access),
    )
    assert response.status_code == 201, response.content
    reply_id: int = response.json()["reply"]["id"]
    return reply_id


def _words_so_far(reply_id: int, at_least: int) -> str | None:
    text = live_state.reply_texts([reply_id]).get(reply_id, "")
    return text if len(text.split()) >= at_least else None


def _nothing_unfinished(user: User) -> None:
    unfinished = ChatMessage.objects.for_user(user).filter(status__in=ChatMessage.UNFINISHED)
    assert not unfinished.exists(), list(unfinished.values("pk", "status"))


def _taken_again(reply_id: int) -> ProcrastinateJob | None:
    reply = ChatMessage.objects.get(pk=reply_id)
    return ProcrastinateJob.objects.filter(pk=reply.job_id, attempts__gte=1).first()


def test_a_reply_cut_by_a_killed_worker_is_finished_by_another(
    server_url: str,
    alice: User,
    alice_access: str,
    alice_chat: ChatSession,
    worker_processes: WorkerProcesses,
) -> None:
    tab = LiveSocket(server_url, alice_access)
    first = worker_processes.start("replies", ONYX_BUILTIN_WORD_DELAY=SLOW_WORDS)
    reply_id = _send(alice_access, alice_chat, "What can you do?")
    shown = wait_until(lambda: _words_so_far(reply_id, 4), what="the first words")
    first.kill()
    assert ChatMessage.objects.get(pk=reply_id).status == ChatMessage.Status.STREAMING
    assert len(shown) < len(NO_MODEL_REPLY)

    worker_processes.start("replies", ONYX_BUILTIN_WORD_DELAY="0.01")
    wait_until(lambda: _taken_again(reply_id), timeout=30, what="another worker to take the job")
    reply = wait_for_reply(alice, reply_id, timeout=30)
    assert (reply.status, reply.content) == ("done", NO_MODEL_REPLY)
    completed = tab.wait_finished(reply_id)
    assert completed["status"] == "done"
    # The new attempt repeated the words the tab had, silently, and carried on from there.
    assert tab.text_of(reply_id) == completed["content"] == NO_MODEL_REPLY
    assert not any(e.get("reset") for e in tab.seen() if e["type"] == "message.delta")
    seqs = tab.seqs()
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # nothing missed on the way
    _nothing_unfinished(alice)
    tab.close()


def test_a_retried_reply_that_goes_another_way_replaces_the_text_in_open_tabs(
    server_url: str,
    alice: User,
    alice_access: str,
    alice_chat: ChatSession,
    worker_processes: WorkerProcesses,
    fake_openai: FakeOpenAIServer,
) -> None:
    first_try = Script(tuple(f"Première idée n°{n} — 🙂 " for n in range(40)), pace=0.1)
    second_try = Script(("Autre réponse : ", "東京 ", "e\u0301 ", "👩‍👩", "\u200d👧", " fin."))
    marker = fake_openai.script("changes-its-mind", first_try, second_try)
    model = {"ONYX_LLM_BASE_URL": fake_openai.base_url, "ONYX_LLM_MODEL": "fake-model"}
    tab = LiveSocket(server_url, alice_access)
    first = worker_processes.start("replies", **model)
    reply_id = _send(alice_access, alice_chat, f"Une idée ? {marker}")
    wait_until(lambda: _words_so_far(reply_id, 6), what="the first words")
    first.kill()

    worker_processes.start("replies", **model)
    reply = wait_for_reply(alice, reply_id, timeout=30)
    assert (reply.status, reply.content) == ("done", second_try.text)
    completed = tab.wait_finished(reply_id)
    resets = [e for e in tab.seen() if e["type"] == "message.delta" and e.get("reset")]
    assert len(resets) == 1
    assert tab.text_of(reply_id) == completed["content"] == second_try.text
    _nothing_unfinished(alice)
    tab.close()


def _slow_reply_under_way(
    worker_processes: WorkerProcesses, access: str, chat: ChatSession, *, graceful_seconds: str
) -> tuple[WorkerProcess, int]:
    worker = worker_processes.start(
        "replies",
        ONYX_BUILTIN_WORD_DELAY=SLOW_WORDS,
        ONYX_WORKER_GRACEFUL_SECONDS=graceful_seconds,
    )
    reply_id = _send(access, chat, "What can you do?")
    wait_until(lambda: _words_so_far(reply_id, 3), what="the first words")
    return worker, reply_id


def test_sigterm_lets_a_running_reply_finish_before_the_worker_exits(
    server_url: str,
    alice: User,
    alice_access: str,
    alice_chat: ChatSession,
    worker_processes: WorkerProcesses,
) -> None:
    tab = LiveSocket(server_url, alice_access)
    worker, reply_id = _slow_reply_under_way(
        worker_processes, alice_access, alice_chat, graceful_seconds="30"
    )
    assert worker.terminate(timeout=30) == 0
    reply = ChatMessage.objects.get(pk=reply_id)
    assert (reply.status, reply.content) == ("done", NO_MODEL_REPLY)
    assert tab.wait_finished(reply_id, timeout=10)["content"] == tab.text_of(reply_id)
    tab.close()


def test_sigterm_past_the_grace_period_hands_the_reply_to_another_worker(
    server_url: str,
    alice: User,
    alice_access: str,
    alice_chat: ChatSession,
    worker_processes: WorkerProcesses,
) -> None:
    tab = LiveSocket(server_url, alice_access)
    worker, reply_id = _slow_reply_under_way(
        worker_processes, alice_access, alice_chat, graceful_seconds="0.2"
    )
    assert worker.terminate(timeout=30) == 0
    handed_back = ChatMessage.objects.get(pk=reply_id)
    assert handed_back.status == ChatMessage.Status.STREAMING
    assert handed_back.content  # the text so far was kept in PostgreSQL on the way out
    assert ProcrastinateJob.objects.get(pk=handed_back.job_id).status == "todo"

    worker_processes.start("replies", ONYX_BUILTIN_WORD_DELAY="0.01")
    reply = wait_for_reply(alice, reply_id, timeout=30)
    assert (reply.status, reply.content) == ("done", NO_MODEL_REPLY)
    assert tab.wait_finished(reply_id)["content"] == tab.text_of(reply_id) == NO_MODEL_REPLY
    _nothing_unfinished(alice)
    tab.close()


def test_a_reply_finished_by_a_worker_that_died_before_telling_the_tabs_is_announced(
    server_url: str,
    alice: User,
    alice_access: str,
    alice_chat: ChatSession,
    worker_processes: WorkerProcesses,
) -> None:
    reply_id = _send(alice_access, alice_chat, "Résumé ?")  # no worker yet: the job waits
    # As a worker leaves it that stored the finished reply and was killed before it published
    # `message.completed` and told the engine: the engine gives the job to a new attempt.
    ChatMessage.objects.for_user(alice).filter(pk=reply_id).update(
        status=ChatMessage.Status.DONE, content="Voilà : 東京 🙂"
    )
    reply = ChatMessage.objects.get(pk=reply_id)
    ProcrastinateJob.objects.filter(pk=reply.job_id).update(attempts=1)
    tab = LiveSocket(server_url, alice_access)

    worker_processes.start("replies")
    completed = tab.wait_finished(reply_id)
    assert (completed["status"], completed["content"]) == ("done", "Voilà : 東京 🙂")
    tab.close()
