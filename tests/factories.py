"""Rows for tests, made the way the app makes them: each message follows the last one the chat
shows, and becomes the one shown."""

from typing import Any, Literal

from accounts.models import User
from chats.models import ChatMessage, ChatSession


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
