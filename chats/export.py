"""A chat as a file the user can keep: Markdown to read, JSON to process."""

from collections.abc import Iterable
from typing import Any

from chats.models import ChatMessage, ChatSession


def chat_as_markdown(chat: ChatSession, messages: Iterable[ChatMessage]) -> str:
    lines = [
        f"# {chat.display_title}",
        "",
        f"_Exported from Onyx Sessions, started {chat.created_at:%Y-%m-%d %H:%M} UTC._",
        "",
    ]
    for message in messages:
        who = "You" if message.role == ChatMessage.Role.USER else "Assistant"
        lines.append(f"## {who} · {message.created_at:%Y-%m-%d %H:%M}")
        lines.append("")
        lines.append(message.content or "_(no text)_")
        if message.status in (ChatMessage.Status.FAILED, ChatMessage.Status.STOPPED):
            lines.append("")
            lines.append(
                f"_({message.get_status_display()}{': ' + message.error if message.error else ''})_"
            )
        lines.append("")
    return "\n".join(lines)


def chat_as_json(chat: ChatSession, messages: Iterable[ChatMessage]) -> dict[str, Any]:
    return {
        "id": chat.pk,
        "title": chat.title,
        "created_at": chat.created_at.isoformat(),
        "messages": [
            {
                "id": m.pk,
                "parent_id": m.parent_id,
                "role": m.role,
                "content": m.content,
                "status": m.status,
                "error": m.error,
                "model_name": m.model_name,
                "prompt_tokens": m.prompt_tokens,
                "completion_tokens": m.completion_tokens,
                "feedback": m.feedback,
                "created_at": m.created_at.isoformat(),
            }
            for m in messages
        ],
    }
