"""Everything that changes a chat: create, rename, delete, post, edit, stop, regenerate, switch
branch, feedback.

Writes happen in one transaction; live events and reply generation start on commit, so nobody is
told about a row that was rolled back.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from chats import branches, replies, selectors, tasks
from chats.models import (
    ONE_UNFINISHED_REPLY_PER_CHAT,
    ChatMessage,
    ChatSession,
)
from chats.replies import message_event
from chats.serializers import MAX_MESSAGE_CHARS, ChatSessionSerializer
from files.models import UserFile
from onyx_site import events, live_state

TITLE_FROM_MESSAGE_CHARS = 60
_Written = TypeVar("_Written")
# A chat.branch event lists at most this many ids of the branch now shown (a page's worth).
BRANCH_EVENT_PATH = 200


class InvalidMessage(Exception):
    pass


class SendRateExceeded(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"You are sending messages too quickly. Try again in {retry_after} s.")
        self.retry_after = retry_after


class ChatBusy(Exception):
    """A reply is being written in this chat: one at a time per chat (HTTP 409)."""

    def __init__(self) -> None:
        super().__init__(
            "A reply is still being written in this chat. Wait for it to finish or stop it, "
            "then try again."
        )


class TooManyReplies(Exception):
    """The user's replies being written, across chats, are at ONYX_MAX_CONCURRENT_REPLIES."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"You already have {limit} replies being written. Wait for one to finish, "
            "then try again."
        )


@dataclass(frozen=True)
class PostedMessage:
    user_message: ChatMessage
    reply: ChatMessage
    created: bool  # False when a repeated client_id returned the original


@dataclass(frozen=True)
class ShownBranch:
    """What changed when a chat started showing another branch: everything after
    `fork_parent_id` is now `path` (oldest first, ending at the new `active_leaf_id`)."""

    active_leaf_id: int
    fork_id: int
    fork_parent_id: int | None
    path: tuple[int, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "active_leaf_id": self.active_leaf_id,
            "fork_id": self.fork_id,
            "fork_parent_id": self.fork_parent_id,
            "path": list(self.path),
        }


def _violates(error: IntegrityError, constraint: str) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == constraint


def _chat_event(kind: str, chat: ChatSession, user: User) -> dict[str, object]:
    selectors.attach_chat_files(user, [chat])
    return _chat_event_as_read(kind, chat)


def _chat_event_as_read(kind: str, chat: ChatSession) -> dict[str, object]:
    """The event about `chat`, whose attached files were read in this transaction."""
    return {"type": kind, "chat": dict(ChatSessionSerializer(chat).data)}


def _publish_on_commit(user_id: int, *to_publish: dict[str, object]) -> None:
    """Publish these events, in order, once the transaction commits (all in one go)."""
    if len(to_publish) == 1:
        transaction.on_commit(partial(events.publish, user_id, to_publish[0]))
    else:
        transaction.on_commit(partial(events.publish_many, user_id, list(to_publish)))


def title_from_message(content: str) -> str:
    first_line = " ".join(content.strip().split())
    if len(first_line) <= TITLE_FROM_MESSAGE_CHARS:
        return first_line
    cut = first_line[:TITLE_FROM_MESSAGE_CHARS].rsplit(" ", 1)[0]
    return f"{cut}…"


def create_chat(
    *, user: User, title: str = "", model: str = "", system_prompt: str = ""
) -> ChatSession:
    with transaction.atomic():
        chat = ChatSession.objects.create(
            owner=user, title=title.strip(), model=model, system_prompt=system_prompt.strip()
        )
        _publish_on_commit(user.pk, _chat_event("chat.created", chat, user))
    return chat


def update_chat(
    *,
    chat: ChatSession,
    title: str | None = None,
    pinned: bool | None = None,
    archived: bool | None = None,
    files: list[UserFile] | None = None,
    model: str | None = None,
    system_prompt: str | None = None,
) -> ChatSession:
    """Change what the caller gives, and only that. The caller has checked `model` is offered.
    The row is locked and read again first: a message sent meanwhile keeps the branch it
    shows, and a chat deleted meanwhile stays deleted (ChatSession.DoesNotExist)."""
    changes: dict[str, object] = {
        name: value
        for name, value in {
            "model": model,
            "system_prompt": system_prompt.strip() if system_prompt is not None else None,
            "title": title.strip() if title is not None else None,
            "pinned": pinned,
            "archived": archived,
        }.items()
        if value is not None
    }
    with transaction.atomic():
        chat = ChatSession.objects.for_user(chat.owner).select_for_update().get(pk=chat.pk)
        if files is not None:
            # Only the chat owner's own files: whatever the caller passed, scoped again here.
            owned = UserFile.objects.for_user(chat.owner).filter(pk__in=[f.pk for f in files])
            chat.files.set(owned)
        for name, value in changes.items():
            setattr(chat, name, value)
        chat.save(update_fields=[*changes, "updated_at"])
        _publish_on_commit(chat.owner_id, _chat_event("chat.updated", chat, chat.owner))
    return chat


def attach_file(*, chat: ChatSession, file: UserFile) -> ChatSession:
    """Let the chat answer from this file too (attached files narrow a chat to them)."""
    if file.owner_id != chat.owner_id:
        raise ValueError("A chat can only use its owner's files.")
    with transaction.atomic():
        # Added, not set from what was read: two uploads attaching at once both stay.
        chat.files.add(file)
        _publish_on_commit(chat.owner_id, _chat_event("chat.updated", chat, chat.owner))
    return chat


def detach_file(*, chat: ChatSession, file: UserFile) -> ChatSession:
    """Stop the chat answering from this file (the file itself stays)."""
    with transaction.atomic():
        # Removed, not set from what was read: a file attached meanwhile stays.
        chat.files.remove(file)
        _publish_on_commit(chat.owner_id, _chat_event("chat.updated", chat, chat.owner))
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


def _claiming(user: User, chat: ChatSession, write: Callable[[], _Written]) -> _Written:
    """Run `write`, a transaction that claims the chat's reply slot. A chat kept busy by a reply
    that no job will ever finish must not stay blocked: that reply is marked failed (outside the
    refused transaction, so its events are true) and `write` runs once more."""
    try:
        return write()
    except ChatBusy:
        if not replies.recover_stalled(user=user, chat_id=chat.pk):
            raise
    return write()


# Statements written once, for the steps every message sent takes (the ORM took longer to build
# them than PostgreSQL to run them). Two, not one: a statement sees the rows committed when it
# began, so the count must start after the lock is held. The role and statuses are written into
# the statement, not passed: its plan is made once for every value (onyx_site/postgresql/base.py),
# and only with them written out can that plan use the index of unfinished replies instead of
# reading every message the user has.
_LOCK_OWNER = f"SELECT 1 FROM {User._meta.db_table} WHERE id = %(owner)s FOR NO KEY UPDATE"  # noqa: S608
_UNFINISHED_REPLIES = f"""
SELECT count(*) FILTER (WHERE chat_id = %(chat)s), count(*) FROM {ChatMessage._meta.db_table}
WHERE owner_id = %(owner)s AND role = '{ChatMessage.Role.ASSISTANT.value}'
    AND status IN ({", ".join(f"'{status}'" for status in ChatMessage.UNFINISHED)})
"""  # noqa: S608
_LOCK_CHAT = f"""
SELECT c.active_leaf_id, {selectors.ATTACHED_FILES_OF_C}
FROM {ChatSession._meta.db_table} AS c
WHERE c.id = %(chat)s AND c.owner_id = %(owner)s FOR UPDATE OF c
"""  # noqa: S608


def _claim_reply_slot(user: User, chat: ChatSession) -> None:
    """In the transaction that creates a reply: refuse it if its chat already has one being
    written, or the user has ONYX_MAX_CONCURRENT_REPLIES of them (a paid model is behind each);
    otherwise count it against the send rate. The user's row is locked, so two requests of one
    user cannot both pass; a unique index on unfinished replies per chat backs the first rule."""
    ChatMessage.objects.rows_for_user(user, _LOCK_OWNER, {})
    [(here, everywhere)] = ChatMessage.objects.rows_for_user(
        user, _UNFINISHED_REPLIES, {"chat": chat.pk}
    )
    if here:
        raise ChatBusy
    limit = settings.ONYX_MAX_CONCURRENT_REPLIES
    if everywhere >= limit:
        raise TooManyReplies(limit)
    _check_send_rate(user)


def _existing_post(user: User, chat: ChatSession, client_id: str) -> PostedMessage | None:
    original = (
        ChatMessage.objects.for_user(user)
        .filter(chat=chat, client_id=client_id, role=ChatMessage.Role.USER)
        .first()
    )
    if original is None:
        return None
    reply = (
        ChatMessage.objects.for_user(user)
        .filter(parent=original, role=ChatMessage.Role.ASSISTANT)
        .order_by("pk")
        .first()
    )
    if reply is None:
        return None
    selectors.ready_to_show(user, [original, reply])
    return PostedMessage(user_message=original, reply=reply, created=False)


def _check_content(content: str) -> None:
    if not content.strip():
        raise InvalidMessage("Write a message first.")
    if len(content) > MAX_MESSAGE_CHARS:
        raise InvalidMessage(f"A message can be at most {MAX_MESSAGE_CHARS:,} characters.")


def _lock_shown_leaf(user: User, chat: ChatSession) -> int | None:
    """Lock the chat's row for this transaction and return the last message it shows, so two
    messages sent at once follow each other instead of forking the conversation. The chat's
    attached files come in the same trip (chat.attached_files), for the event about it: under
    load each trip to PostgreSQL was a tenth of a message's POST."""
    rows = ChatSession.objects.rows_for_user(user, _LOCK_CHAT, {"chat": chat.pk})
    if not rows:
        raise ChatSession.DoesNotExist  # deleted meanwhile: not found
    leaf_id: int | None
    leaf_id, files = rows[0]
    chat.attached_files = selectors.attached_files_from_json(files)
    return leaf_id


def _show(
    chat: ChatSession, leaf: ChatMessage, *, activity: bool, also: list[str] | None = None
) -> None:
    chat.active_leaf_id = leaf.pk
    fields = ["active_leaf", *(also or [])]
    if activity:
        chat.updated_at = timezone.now()
        fields.append("updated_at")
    chat.save(update_fields=fields)


def _branch_event(chat: ChatSession, branch: ShownBranch) -> dict[str, object]:
    return {"type": "chat.branch", "chat_id": chat.pk, **branch.as_dict()}


def _write_turn(
    *,
    user: User,
    chat: ChatSession,
    content: str,
    client_id: str | None,
    edit_of: ChatMessage | None,
) -> PostedMessage:
    """Save a user message and a pending reply to it, and show them; the reply is written in
    the background. The message follows the last one shown, or is a new version of `edit_of`."""
    _check_content(content)
    if client_id:
        existing = _existing_post(user, chat, client_id)
        if existing is not None:
            return existing
    return _claiming(
        user,
        chat,
        partial(
            _write_turn_once,
            user=user,
            chat=chat,
            content=content,
            client_id=client_id,
            edit_of=edit_of,
        ),
    )


def _write_turn_once(
    *,
    user: User,
    chat: ChatSession,
    content: str,
    client_id: str | None,
    edit_of: ChatMessage | None,
) -> PostedMessage:
    try:
        with transaction.atomic():
            shown_leaf_id = _lock_shown_leaf(user, chat)
            _claim_reply_slot(user, chat)
            parent_id = shown_leaf_id if edit_of is None else edit_of.parent_id
            user_message = ChatMessage.objects.create(
                chat=chat,
                owner=user,
                role=ChatMessage.Role.USER,
                content=content,
                client_id=client_id or None,
                parent_id=parent_id,
            )
            reply = ChatMessage.objects.create(
                chat=chat,
                owner=user,
                role=ChatMessage.Role.ASSISTANT,
                status=ChatMessage.Status.PENDING,
                parent=user_message,
            )
            if not chat.title:
                chat.title = title_from_message(content)
            _show(chat, reply, activity=True, also=["title"])
            if edit_of is None:
                # The last message shown has no children: both new ones are the only version.
                selectors.shown_as_only_versions([user_message, reply])
            else:
                selectors.ready_to_show(user, [user_message, reply])
            announced = [
                message_event("message.created", user_message),
                message_event("message.created", reply),
                _chat_event_as_read("chat.updated", chat),  # files read by _lock_shown_leaf()
            ]
            if edit_of is not None:
                branch = ShownBranch(
                    active_leaf_id=reply.pk,
                    fork_id=user_message.pk,
                    fork_parent_id=parent_id,
                    path=(user_message.pk, reply.pk),
                )
                announced.append(_branch_event(chat, branch))
            _publish_on_commit(user.pk, *announced)
            tasks.queue_reply(reply)
    except IntegrityError as error:
        # The same client_id raced in from another tab or a retry: return the winner.
        if client_id and (existing := _existing_post(user, chat, client_id)) is not None:
            return existing
        if _violates(error, ONE_UNFINISHED_REPLY_PER_CHAT):
            raise ChatBusy from error
        raise
    return PostedMessage(user_message=user_message, reply=reply, created=True)


def post_message(
    *, user: User, chat: ChatSession, content: str, client_id: str | None = None
) -> PostedMessage:
    """Continue the branch the chat shows with the user's message and a pending reply.
    A repeated client_id returns the original pair instead of a second copy."""
    return _write_turn(user=user, chat=chat, content=content, client_id=client_id, edit_of=None)


def edit_message(
    *,
    user: User,
    chat: ChatSession,
    message: ChatMessage,
    content: str,
    client_id: str | None = None,
) -> PostedMessage:
    """Send an edited version of one of the user's messages: a new sibling of it, with a new
    reply, shown from now on. The original and everything after it stay, as another branch."""
    if message.role != ChatMessage.Role.USER or message.chat_id != chat.pk:
        raise InvalidMessage("Only your own messages can be edited; regenerate a reply instead.")
    return _write_turn(user=user, chat=chat, content=content, client_id=client_id, edit_of=message)


def stop_reply(*, reply: ChatMessage) -> ChatMessage:
    """Ask the reply to stop, wherever it is being written; a finished one stays as it is."""
    if not reply.is_finished:
        live_state.request_stop(reply.pk)
    return reply


def regenerate_reply(*, reply: ChatMessage) -> ChatMessage:
    """Write a new version of a reply, to the same question, and show it; the earlier one is
    kept as a sibling. Counts against the send rate and the reply limits like a new message."""
    if reply.role != ChatMessage.Role.ASSISTANT or reply.parent_id is None:
        raise InvalidMessage("Only an assistant reply can be regenerated.")
    owner = reply.owner
    chat = ChatSession.objects.for_user(owner).get(pk=reply.chat_id)
    return _claiming(owner, chat, partial(_regenerate_once, reply=reply, owner=owner, chat=chat))


def _regenerate_once(*, reply: ChatMessage, owner: User, chat: ChatSession) -> ChatMessage:
    try:
        with transaction.atomic():
            _lock_shown_leaf(owner, chat)
            _claim_reply_slot(owner, chat)
            new_reply = ChatMessage.objects.create(
                chat=chat,
                owner=owner,
                role=ChatMessage.Role.ASSISTANT,
                status=ChatMessage.Status.PENDING,
                parent_id=reply.parent_id,
            )
            _show(chat, new_reply, activity=True)
            selectors.ready_to_show(owner, [new_reply])
            branch = ShownBranch(
                active_leaf_id=new_reply.pk,
                fork_id=new_reply.pk,
                fork_parent_id=reply.parent_id,
                path=(new_reply.pk,),
            )
            _publish_on_commit(
                owner.pk,
                message_event("message.created", new_reply),
                _branch_event(chat, branch),
            )
            tasks.queue_reply(new_reply)
    except IntegrityError as error:
        if _violates(error, ONE_UNFINISHED_REPLY_PER_CHAT):
            raise ChatBusy from error
        raise
    return new_reply


def show_branch(*, user: User, chat: ChatSession, message: ChatMessage) -> ShownBranch:
    """Show the branch through `message`, down to its most recent message."""
    if message.chat_id != chat.pk:
        raise ChatMessage.DoesNotExist
    with transaction.atomic():
        _lock_shown_leaf(user, chat)
        leaf_id = branches.newest_leaf_under(user, message)
        above_leaf = branches.ancestors(
            user, chat_id=chat.pk, start_id=leaf_id, limit=BRANCH_EVENT_PATH
        )
        path = [m.pk for m in reversed(above_leaf)]
        if message.pk in path:
            path = path[path.index(message.pk) :]
        leaf = above_leaf[0]
        _show(chat, leaf, activity=False)
        branch = ShownBranch(
            active_leaf_id=leaf.pk,
            fork_id=message.pk,
            fork_parent_id=message.parent_id,
            path=tuple(path),
        )
        _publish_on_commit(user.pk, _branch_event(chat, branch))
    return branch


def set_feedback(*, message: ChatMessage, value: int | None, comment: str = "") -> ChatMessage:
    if message.role != ChatMessage.Role.ASSISTANT:
        raise InvalidMessage("Feedback is for assistant replies.")
    with transaction.atomic():
        message.feedback = value
        message.feedback_comment = comment.strip() if value is not None else ""
        message.save(update_fields=["feedback", "feedback_comment", "updated_at"])
        selectors.ready_to_show(message.owner, [message])
        _publish_on_commit(message.owner_id, message_event("message.updated", message))
    return message


def shown_branch_now(
    *, user: User, chat_id: int, read: Callable[[], branches.BranchPage[branches.Shown]]
) -> branches.BranchPage[branches.Shown]:
    """`read()` (a page of branches.shown_branch or chat_branch_json), with a reply on it that
    no job will ever finish marked failed first. Only a page showing an unfinished reply pays
    for that check (a chat has at most one; sending a message checks it too)."""
    page = read()
    if any(not m.is_finished for m in page.messages) and replies.recover_stalled(
        user=user, chat_id=chat_id
    ):
        page = read()
    return page
