"""The interface every AI provider implements: a conversation in, text chunks out."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from files.passages import Passage

__all__ = [
    "ChatProvider",
    "ModelChoice",
    "Passage",
    "PromptMessage",
    "ProviderError",
    "ReplyStats",
    "ServerModel",
]

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class PromptMessage:
    role: Role
    content: str


@dataclass
class ReplyStats:
    """Filled in by the provider while it streams, where the server reports them."""

    model: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServerModel:
    """One model of an OpenAI-compatible server, with what it takes to reach it."""

    base_url: str
    model: str
    api_key: str = field(default="", repr=False)  # never in a log line or an error


@dataclass(frozen=True)
class ModelChoice:
    """Who writes a reply: a server's model, or the built-in assistant (`server` None), or
    nobody, with the reason (`refusal`), when the chat's model is no longer offered."""

    server: ServerModel | None = None
    refusal: str = ""
    # For the built-in assistant: the models it could point the user to instead.
    others_offered: tuple[str, ...] = ()


class ProviderError(Exception):
    """A failure worded for the person reading the chat, e.g. "The language model at
    http://127.0.0.1:11434 did not answer within 60 seconds."."""


class ChatProvider(Protocol):
    name: str

    def stream_reply(
        self,
        messages: Sequence[PromptMessage],
        *,
        passages: Sequence[Passage] = (),
        stats: ReplyStats,
    ) -> AsyncIterator[str]:
        """Yield the reply's text in chunks as it is generated.

        Raise ProviderError for anything the user should be told (refused connection, timeout,
        HTTP error, a stream cut short). The caller cancels by closing the iterator
        (`aclose()`) or cancelling its task; the provider must then release its connection.
        """
        ...
