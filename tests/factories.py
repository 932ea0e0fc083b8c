"""Rows for tests, made the way the app makes them: each message follows the last one the chat
shows, and becomes the one shown."""

import uuid
from collections.abc import Sequence
from datetime import timedelta, tzinfo
from typing import Any, Literal

from django.utils import timezone

from accounts.models import User
from chats.models import ChatMessage, ChatSession
from files.models import FileChunk, UserFile


def chats_either_side_of_midnight(owner: User, zone: tzinfo, *, before: str, after: str) -> None:
    """Two chats last active at the latest midnight in `zone` (`after`) and a minute before it
    (`before`). Both fall on one UTC day for any zone east of UTC, so grouping them by that
    zone's days and by UTC's days never agree."""
    midnight = timezone.now().astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    for title, moment in ((after, midnight), (before, midnight - timedelta(minutes=1))):
        chat = ChatSession.objects.create(owner=owner, title=title)
        ChatSession.objects.for_user(owner).filter(pk=chat.pk).update(updated_at=moment)


def make_chat(*, owner: User, title: str = "", messages: int = 0) -> ChatSession:
    """A chat with `messages` messages alternating question and answer, "m0", "m1", …"""
    chat = ChatSession.objects.create(owner=owner, title=title)
    for n in range(messages):
        add_message(chat, "user" if n % 2 == 0 else "assistant", f"m{n}")
    return chat


def add_message(
    chat: ChatSession,
    role: str,
    content: str,
    *,
    parent: ChatMessage | Literal["shown"] | None = "shown",
    **fields: Any,
) -> ChatMessage:
    """A message after the one the chat shows (or after `parent`, None for a first message),
    and shown from now on. Replies are finished unless `status` says otherwise."""
    parent_id = chat.active_leaf_id if parent == "shown" else (parent.pk if parent else None)
    if role == "assistant":
        fields.setdefault("status", "done")
    message = ChatMessage.objects.create(
        chat=chat, owner=chat.owner, role=role, content=content, parent_id=parent_id, **fields
    )
    chat.active_leaf = message
    chat.save(update_fields=["active_leaf"])
    return message


def add_turns(chat: ChatSession, count: int, *, question: str, answer: str) -> list[ChatMessage]:
    """`count` messages after the one shown, alternating `question` and `answer` (with `{n}`
    in them replaced by each message's number), the last one shown."""
    return [
        add_message(
            chat,
            "user" if n % 2 == 0 else "assistant",
            (question if n % 2 == 0 else answer).replace("{n}", str(n)),
        )
        for n in range(count)
    ]


def make_file(*, owner: User, name: str, chunks: Sequence[str] = ()) -> UserFile:
    """A file already read, with these passages (no bytes stored: only its text is used)."""
    file = UserFile.objects.create(
        owner=owner,
        name=name,
        storage_name=f"test/{uuid.uuid4().hex}",
        size=sum(len(text) for text in chunks),
        kind="text",
        content_type="text/plain",
        sha256=uuid.uuid4().hex,
        status=UserFile.Status.READY,
    )
    FileChunk.objects.bulk_create(
        [FileChunk(owner=owner, file=file, index=n, text=text) for n, text in enumerate(chunks)]
    )
    return file


def many_files(owner: User, count: int, *, name: str, all_read: bool = False) -> list[UserFile]:
    """`count` files in one statement (no bytes stored), named `name` with {n} their number;
    one in three is still being read unless `all_read`."""
    return UserFile.objects.bulk_create(
        UserFile(
            owner=owner,
            name=name.format(n=n),
            storage_name=f"test/{uuid.uuid4().hex}",
            size=10,
            kind="text",
            content_type="text/plain",
            sha256=f"{n:064d}",
            status=UserFile.Status.READY if all_read or n % 3 else UserFile.Status.PROCESSING,
        )
        for n in range(count)
    )
