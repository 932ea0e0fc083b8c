"""Any OpenAI-compatible /v1/chat/completions server, streamed through the `openai` client."""

import asyncio
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import openai
from django.conf import settings

from chats.providers.base import Passage, PromptMessage, ProviderError, ReplyStats, ServerModel

CONTEXT_INSTRUCTIONS = (
    "Answer using the numbered passages from the user's own files below when they are relevant. "
    "Cite every passage you use by its number in square brackets, like [1]. If the passages do "
    "not contain the answer, say so plainly."
)


def context_message(passages: Sequence[Passage]) -> dict[str, str]:
    listed = "\n\n".join(
        f"[{n}] From {passage.file_name}:\n{passage.text.strip()}"
        for n, passage in enumerate(passages, start=1)
    )
    return {"role": "system", "content": f"{CONTEXT_INSTRUCTIONS}\n\n{listed}"}


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[:limit]}…"


@dataclass(frozen=True)
class _ClientConfig:
    base_url: str
    api_key: str = field(repr=False)
    read_timeout: float
    connect_timeout: float


# Building a client costs tens of milliseconds of CPU (its TLS context), and its connection pool
# is what makes the next reply's first token fast: one client per server and event loop (a
# client's connections belong to the loop that opened them), built once per process.
_ClientsOfLoop = dict[_ClientConfig, openai.AsyncOpenAI]
_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _ClientsOfLoop]" = (
    weakref.WeakKeyDictionary()
)


def _client_for(config: _ClientConfig) -> openai.AsyncOpenAI:
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(config)
    if client is None:
        client = openai.AsyncOpenAI(
            base_url=config.base_url,
            api_key=config.api_key or "not-needed",
            timeout=openai.Timeout(config.read_timeout, connect=config.connect_timeout),
            max_retries=0,
        )
        per_loop[config] = client
    return client


class OpenAICompatibleProvider:
    name = "openai"

    def __init__(self, server: ServerModel) -> None:
        self.base_url = server.base_url
        self.model = server.model
        self.read_timeout = settings.ONYX_LLM_READ_TIMEOUT
        self.config = _ClientConfig(
            base_url=self.base_url,
            api_key=server.api_key,
            read_timeout=self.read_timeout,
            connect_timeout=settings.ONYX_LLM_CONNECT_TIMEOUT,
        )

    async def stream_reply(
        self,
        messages: Sequence[PromptMessage],
        *,
        passages: Sequence[Passage] = (),
        stats: ReplyStats,
    ) -> AsyncIterator[str]:
        payload: list[Any] = [{"role": m.role, "content": m.content} for m in messages]
        if passages:
            payload.insert(0, context_message(passages))
        stats.model = self.model
        try:
            stream = await _client_for(self.config).chat.completions.create(
                model=self.model, messages=payload, stream=True
            )
        except openai.APIError as error:
            raise self._explain(error) from error
        finished = False
        try:
            async for chunk in stream:
                if chunk.model:
                    stats.model = chunk.model
                if chunk.usage is not None:
                    stats.prompt_tokens = chunk.usage.prompt_tokens
                    stats.completion_tokens = chunk.usage.completion_tokens
                for choice in chunk.choices:
                    if choice.finish_reason:
                        finished = True
                    if choice.delta is not None and choice.delta.content:
                        yield choice.delta.content
        except openai.APIError as error:
            raise self._explain(error) from error
        except (ValueError, TypeError) as error:
            raise ProviderError(
                f"The language model at {self.base_url} sent a reply that could not be read."
            ) from error
        finally:
            await stream.close()
        if not finished:
            raise ProviderError("The language model's reply was cut off before it finished.")

    def _explain(self, error: openai.APIError) -> ProviderError:
        where = self.base_url
        if isinstance(error, openai.APITimeoutError):
            return ProviderError(
                f"The language model at {where} did not answer within "
                f"{self.read_timeout:g} seconds."
            )
        if isinstance(error, openai.APIConnectionError):
            return ProviderError(
                f"Could not reach the language model at {where}: the connection failed "
                "or was cut. Check that the server is running."
            )
        if isinstance(error, openai.APIStatusError):
            detail = error.message or ""
            return ProviderError(
                f"The language model at {where} answered with HTTP {error.status_code}: "
                f"{_short(detail)}"
            )
        return ProviderError(f"The language model at {where} failed: {_short(str(error))}")
