"""A reply's life: every change of state is made only from the states it may come from.

    pending ──▶ streaming ──▶ done | stopped | failed
       └──────────────────────▶ stopped | failed      (stopped or failed before its first word)

A finished reply never changes again: a late writer (say, a worker that was thought dead and
whose job was taken over) finds no row left to update and gives up. Events are published only
by the step that really made the change.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import User
from chats import selectors
from chats.models import ChatMessage, ChatMessageQuerySet, ChatSession
from chats.serializers import ChatMessageSerializer
from onyx_site import events, jobs, live_state
from onyx_site.text import storable

INTERRUPTED = "This reply was interrupted and could not be finished. Try Regenerate."


@dataclass(frozen=True)
class Outcome:
    content: str
    status: str
    error: str = ""
    model_name: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    citations: tuple[dict[str, object], ...] = ()


def message_event(kind: str, message: ChatMessage) -> dict[str, object]:
    """The message as JSON, and as the page shows it (`html`), so a live update looks exactly
    like the same message after a reload."""
    return {
        "type": kind,
        "chat_id": message.chat_id,
        "message": dict(ChatMessageSerializer(message).data),
        "html": render_to_string("chats/_message.html", {"message": message}),
    }


def _unfinished(reply: ChatMessage) -> ChatMessageQuerySet:
    return (
        ChatMessage.objects.for_user(reply.owner)
        .filter(pk=reply.pk)
        .filter(status__in=ChatMessage.UNFINISHED)
    )


def start_streaming(reply: ChatMessage) -> bool:
    """pending (or streaming, when a new attempt takes over) → streaming."""
    changed = _unfinished(reply).update(
        status=ChatMessage.Status.STREAMING, updated_at=timezone.now()
    )
    if changed:
        reply.status = ChatMessage.Status.STREAMING
    return bool(changed)


def checkpoint(reply: ChatMessage, text: str) -> bool:
    """Keep the text so far in PostgreSQL too, so losing Redis or the worker loses little."""
    return bool(_unfinished(reply).update(content=storable(text), updated_at=timezone.now()))


def finish(reply: ChatMessage, outcome: Outcome) -> bool:
    """Store the finished reply, if it is still unfinished; False if someone else finished it
    (or its chat was deleted)."""
    now = timezone.now()
    with transaction.atomic():
        changed = _unfinished(reply).update(
            content=storable(outcome.content),
            status=outcome.status,
            error=outcome.error,
            model_name=outcome.model_name[:200],
            prompt_tokens=outcome.prompt_tokens,
            completion_tokens=outcome.completion_tokens,
            citations=list(outcome.citations),
            updated_at=now,
        )
        if changed:
            ChatSession.objects.for_user(reply.owner).filter(pk=reply.chat_id).update(
                updated_at=now
            )
    if not changed:
        return False
    reply.content = storable(outcome.content)
    reply.status = outcome.status
    reply.error = outcome.error
    reply.model_name = outcome.model_name[:200]
    reply.prompt_tokens = outcome.prompt_tokens
    reply.completion_tokens = outcome.completion_tokens
    reply.citations = list(outcome.citations)
    return True


def announce_finished(reply: ChatMessage) -> None:
    """Tell every tab the reply is finished: the whole message, typing off, a notification."""
    events.publish_many(reply.owner_id, finished_news(reply))


def finished_news(reply: ChatMessage) -> list[dict[str, object]]:
    """The events of announce_finished(), for publishing from async code."""
    failed = reply.status == ChatMessage.Status.FAILED
    selectors.ready_to_show(reply.owner, [reply])
    news = [
        message_event("message.failed" if failed else "message.completed", reply),
        {"type": "typing", "chat_id": reply.chat_id, "message_id": reply.pk, "on": False},
    ]
    try:
        chat = ChatSession.objects.one_for_user(reply.owner, reply.chat_id)  # its title now
    except ChatSession.DoesNotExist:
        chat = None
    if chat is not None:
        news.append(
            {
                "type": "notification",
                "chat_id": chat.pk,
                "message_id": reply.pk,
                "level": "error" if failed else "info",
                "text": f"Reply {'failed' if failed else 'finished'} in “{chat.display_title}”",
            }
        )
    return news


def recover_stalled(*, user: User, chat_id: int) -> int:
    """Mark failed the unfinished replies of a chat that no job will ever finish (their job was
    deleted, or gave up), keeping their text. A reply whose job is queued or running, or whose
    writer holds its lease, is left alone: the task engine takes over the job of a dead worker."""
    quiet_since = timezone.now() - timedelta(seconds=live_state.LEASE_SECONDS)
    candidates = ChatMessage.objects.for_user(user).filter(
        chat_id=chat_id, status__in=ChatMessage.UNFINISHED, updated_at__lt=quiet_since
    )
    recovered = 0
    for reply in candidates:
        if live_state.has_lease(reply.pk) or jobs.job_is_alive(reply.job_id):
            continue
        text, _ = live_state.reply_snapshot(user.pk, reply.pk)
        outcome = Outcome(
            content=text or reply.content,
            status=ChatMessage.Status.FAILED,
            error=INTERRUPTED,
            model_name=reply.model_name,
        )
        if finish(reply, outcome):
            live_state.forget_reply(reply.pk)
            announce_finished(reply)
            recovered += 1
    return recovered
