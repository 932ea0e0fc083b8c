"""Everything that changes a chat: create, rename, delete, post, stop, regenerate, feedback.

Writes happen in one transaction; live events and reply generation start on commit, so nobody is
told about a row that was rolled back.
"""

from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from chats import replies, tasks
from chats.models import ChatMessage, ChatSession
from chats.replies import message_event
from chats.serializers import MAX_MESSAGE_CHARS, ChatSessionSerializer
from files.models import UserFile
from onyx_site import events, live_state

TITLE_FROM_MESSAGE_CHARS = 60


class InvalidMessage(Exception):
    pass


class SendRateExceeded(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"You are sending messages too quickly. Try again in {retry_after} s.")
        self.retry_after = retry_after


class ReplyNotFinished(Exception):
    pass


@dataclass(frozen=True)
class PostedMessage:
    user_message: ChatMessage
    reply: ChatMessage
    created: bool  # False when a repeated client_id returned the original


def _chat_event(kind: str, chat: ChatSession) -> dict[str, object]:
    return {"type": kind, "chat": dict(ChatSessionSerializer(chat).data)}


def _publish_on_commit(user_id: int, event: dict[str, object]) -> None:
    transaction.on_commit(partial(events.publish, user_id, event))


def title_from_message(content: str) -> str:
    first_line = " ".join(content.strip().split())
    if len(first_line) <= TITLE_FROM_MESSAGE_CHARS:
        return first_line
    cut = first_line[:TITLE_FROM_MESSAGE_CHARS].rsplit(" ", 1)[0]
    return f"{cut}…"


def create_chat(*, user: User, title: str = "") -> ChatSession:
    with transaction.atomic():
        chat = ChatSession.objects.create(owner=user, title=title.strip())
        _publish_on_commit(user.pk, _chat_event("chat.created", chat))
    return chat


def update_chat(
    *,
    chat: ChatSession,
    title: str | None = None,
    pinned: bool | None = None,
    archived: bool | None = None,
    files: list[UserFile] | None = None,
) -> ChatSession:
    with transaction.atomic():
        if files is not None:
            # The caller passes files already scoped to the chat's owner (serializer, form).
            chat.files.set(files)
        if title is not None:
            chat.title = title.strip()
        if pinned is not None:
            chat.pinned = pinned
        if archived is not None:
            chat.archived = archived
        chat.save()
        _publish_on_commit(chat.owner_id, _chat_event("chat.updated", chat))
    return chat


def delete_chat(*, chat: ChatSession) -> None:
    unfinished = ChatMessage.objects.for_user(chat.owner).filter(
        chat=chat, status__in=ChatMessage.UNFINISHED
    )
    for reply_id in unfinished.values_list("pk", flat=True):
        live_state.request_stop(reply_id)
    chat_id, owner_id = chat.pk, chat.owner_id
    with transaction.atomic():
        chat.delete()
        _publish_on_commit(owner_id, {"type": "chat.deleted", "chat_id": chat_id})


def _check_send_rate(user: User) -> None:
    count, retry_after = live_state.count_send(user.pk)
    if count > settings.ONYX_SEND_RATE_PER_MINUTE:
        raise SendRateExceeded(retry_after=retry_after)


def _existing_post(user: User, client_id: str) -> PostedMessage | None:
    original = (
        ChatMessage.objects.for_user(user)
        .filter(client_id=client_id, role=ChatMessage.Role.USER)
        .first()
    )
    if original is None:
        return None
    reply = (
        ChatMessage.objects.for_user(user)
        .filter(reply_to=original, role=ChatMessage.Role.ASSISTANT)
        .order_by("pk")
        .first()
    )
    if reply is None:
        return None
    return PostedMessage(user_message=original, reply=reply, created=False)


def post_message(
    *, user: User, chat: ChatSession, content: str, client_id: str | None = None
) -> PostedMessage:
    """Save the user's message and a pending reply at once; the reply is written in the
    background. A repeated client_id returns the original pair instead of a second copy."""
    if not content.strip():
        raise InvalidMessage("Write a message first.")
    if len(content) > MAX_MESSAGE_CHARS:
        raise InvalidMessage(f"A message can be at most {MAX_MESSAGE_CHARS:,} characters.")
    if client_id:
        existing = _existing_post(user, client_id)
        if existing is not None:
            return existing
    _check_send_rate(user)
    try:
        with transaction.atomic():
            user_message = ChatMessage.objects.create(
                chat=chat,
                owner=user,
                role=ChatMessage.Role.USER,
                content=content,
                client_id=client_id or None,
            )
            reply = ChatMessage.objects.create(
                chat=chat,
                owner=user,
                role=ChatMessage.Role.ASSISTANT,
                status=ChatMessage.Status.PENDING,
                reply_to=user_message,
            )
            if not chat.title:
                chat.title = title_from_message(content)
            chat.updated_at = timezone.now()
            chat.save(update_fields=["title", "updated_at"])
            created = [
                message_event("message.created", user_message),
                message_event("message.created", reply),
                _chat_event("chat.updated", chat),
            ]
            transaction.on_commit(partial(events.publish_all, user.pk, created))
            tasks.queue_reply(reply)
    except IntegrityError:
        # The same client_id raced in from another tab or a retry: return the winner.
        if client_id and (existing := _existing_post(user, client_id)) is not None:
            return existing
        raise
    return PostedMessage(user_message=user_message, reply=reply, created=True)


def stop_reply(*, reply: ChatMessage) -> ChatMessage:
    """Ask the reply to stop, wherever it is being written; a finished one stays as it is."""
    if not reply.is_finished:
        live_state.request_stop(reply.pk)
    return reply


def regenerate_reply(*, reply: ChatMessage) -> ChatMessage:
    """Write a new reply to the same user message; the earlier one is kept, superseded."""
    if reply.role != ChatMessage.Role.ASSISTANT or reply.reply_to_id is None:
        raise ReplyNotFinished("Only an assistant reply can be regenerated.")
    if not reply.is_finished:
        raise ReplyNotFinished("Wait for this reply to finish, or stop it, before regenerating.")
    with transaction.atomic():
        ChatMessage.objects.for_user(reply.owner).filter(
            reply_to_id=reply.reply_to_id, role=ChatMessage.Role.ASSISTANT
        ).update(superseded=True)
        new_reply = ChatMessage.objects.create(
            chat_id=reply.chat_id,
            owner_id=reply.owner_id,
            role=ChatMessage.Role.ASSISTANT,
            status=ChatMessage.Status.PENDING,
            reply_to_id=reply.reply_to_id,
        )
        reply.superseded = True
        _publish_on_commit(reply.owner_id, message_event("message.superseded", reply))
        _publish_on_commit(reply.owner_id, message_event("message.created", new_reply))
        tasks.queue_reply(new_reply)
    return new_reply


def set_feedback(*, message: ChatMessage, value: int | None, comment: str = "") -> ChatMessage:
    if message.role != ChatMessage.Role.ASSISTANT:
        raise InvalidMessage("Feedback is for assistant replies.")
    with transaction.atomic():
        message.feedback = value
        message.feedback_comment = comment.strip() if value is not None else ""
        message.save(update_fields=["feedback", "feedback_comment", "updated_at"])
        _publish_on_commit(message.owner_id, message_event("message.updated", message))
    return message


def recover_stalled_replies(*, user: User, chat: ChatSession) -> int:
    return replies.recover_stalled(user=user, chat=chat)
