"""Any OpenAI-compatible /v1/chat/completions server, streamed as server-sent events.

The chunks are read as plain JSON with httpx and httpx-sse rather than through the `openai`
client: that client builds a typed object for every chunk and transforms every request, which
was half of a replies worker's CPU under load (bench/first_token.py), and we read three fields.
"""

import asyncio
import json
import weakref
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings
from httpx_sse import SSEError, aconnect_sse

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
# An idle connection is kept this long: a TLS handshake to a remote server costs more than the
# first token of a local one.
KEEPALIVE_SECONDS = 30.0
_ClientsOfLoop = dict[_ClientConfig, httpx.AsyncClient]
_clients: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _ClientsOfLoop]" = (
    weakref.WeakKeyDictionary()
)


def _client_for(config: _ClientConfig) -> httpx.AsyncClient:
    per_loop = _clients.setdefault(asyncio.get_running_loop(), {})
    client = per_loop.get(config)
    if client is None:
        client = httpx.AsyncClient(
            base_url=config.base_url,
            headers={"Authorization": f"Bearer {config.api_key or 'not-needed'}"},
            timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout),
            limits=_connection_limits(),
        )
        per_loop[config] = client
    return client


def _connection_limits() -> httpx.Limits:
    """As many connections as the worker writes replies at once, all kept open between replies:
    httpx's defaults (100, of which 20 kept) made the 101st reply of a burst wait for a free
    connection, and made most replies of a 50-reply burst open a new one."""
    replies_at_once = settings.ONYX_WORKER_REPLY_CONCURRENCY
    return httpx.Limits(
        max_connections=replies_at_once,
        max_keepalive_connections=replies_at_once,
        keepalive_expiry=KEEPALIVE_SECONDS,
    )


def _message_of(error: object) -> str | None:
    """What an OpenAI `error` says: its `{"message": ...}`, or the string it is."""
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    return error if isinstance(error, str) else None


def _error_detail(response: httpx.Response) -> str:
    """What an error answer says: its `{"error": ...}`, else its text."""
    try:
        body = response.json()
    except ValueError:
        return response.text
    message = _message_of(body.get("error")) if isinstance(body, dict) else None
    return response.text if message is None else message


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

    def client(self) -> httpx.AsyncClient:
        """This server's client on the running loop, built on first use."""
        return _client_for(self.config)

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
        body = {"model": self.model, "messages": payload, "stream": True}
        finished = False
        try:
            async with aconnect_sse(self.client(), "POST", "chat/completions", json=body) as source:
                if source.response.is_error:
                    await source.response.aread()
                    raise self._status_error(source.response)
                async for event in source.aiter_sse():
                    if event.data.strip() == "[DONE]":
                        break
                    chunk = json.loads(event.data)
                    if "error" in chunk:
                        detail = _message_of(chunk["error"]) or str(chunk["error"])
                        raise ProviderError(
                            f"The language model at {self.base_url} failed: {_short(detail)}"
                        )
                    if chunk.get("model"):
                        stats.model = chunk["model"]
                    if usage := chunk.get("usage"):
                        stats.prompt_tokens = usage.get("prompt_tokens")
                        stats.completion_tokens = usage.get("completion_tokens")
                    for choice in chunk.get("choices") or ():
                        if choice.get("finish_reason"):
                            finished = True
                        content = (choice.get("delta") or {}).get("content")
                        if content:
                            yield content
        except httpx.TimeoutException as error:
            raise ProviderError(
                f"The language model at {self.base_url} did not answer within "
                f"{self.read_timeout:g} seconds."
            ) from error
        except httpx.TransportError as error:
            raise ProviderError(
                f"Could not reach the language model at {self.base_url}: the connection failed "
                "or was cut. Check that the server is running."
            ) from error
        except (SSEError, ValueError, TypeError, AttributeError) as error:
            # Not an event stream, not JSON, or JSON of another shape.
            raise ProviderError(
                f"The language model at {self.base_url} sent a reply that could not be read."
            ) from error
        if not finished:
            raise ProviderError("The language model's reply was cut off before it finished.")

    def _status_error(self, response: httpx.Response) -> ProviderError:
        return ProviderError(
            f"The language model at {self.base_url} answered with HTTP {response.status_code}: "
            f"{_short(_error_detail(response))}"
        )
