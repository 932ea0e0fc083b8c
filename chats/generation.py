"""Generating an assistant reply, independent of any socket or tab.

Replies run on one background event loop per process. The provider's chunks are coalesced and
flushed every FLUSH_SECONDS: each flush appends to the reply's text-so-far in Redis and sends one
`message.delta` event, so a fast model does not flood sockets and a tab opened mid-reply can show
everything so far. A stop request is a Redis flag, so it works from any tab and any process.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connection

from accounts.session_registry import redis_client
from chats import selectors
from chats.models import ChatMessage
from chats.providers.base import ProviderError, ReplyStats
from chats.providers.registry import get_provider
from onyx_site import events

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05
STOP_FLAG_TTL_SECONDS = 60 * 60
UNEXPECTED_FAILURE = "Something went wrong while writing this reply. Try Regenerate."

_T = TypeVar("_T")


def stop_flag_key(message_id: int) -> str:
    return f"onyx:live:reply:{message_id}:stop"


def request_stop(message_id: int) -> None:
    redis_client().set(stop_flag_key(message_id), "1", ex=STOP_FLAG_TTL_SECONDS)


def _stop_requested(message_id: int) -> bool:
    return bool(redis_client().exists(stop_flag_key(message_id)))


def _in_db_thread(func: Callable[..., _T]) -> Callable[..., Awaitable[_T]]:
    """Run ORM work in a worker thread and close its connection afterwards: these threads
    outlive requests, and an idle connection left open would pin the database."""

    def run_and_close(*args: Any, **kwargs: Any) -> _T:
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            connection.close()

    return sync_to_async(run_and_close, thread_sensitive=False)


@dataclass
class _Collected:
    text: str = ""
    sent: int = 0  # characters already flushed
    error: str = ""
    finished: bool = False


async def generate_reply(owner_id: int, message_id: int) -> None:
    reply = await _in_db_thread(selectors.reply_to_generate)(owner_id, message_id)
    if reply is None:
        return  # deleted, or already finished (stopped before it started)
    stats = ReplyStats()
    if await asyncio.to_thread(_stop_requested, reply.pk):
        unstarted = await _in_db_thread(_finish)(reply, "", ChatMessage.Status.STOPPED, "", stats)
        await _in_db_thread(_announce_finished)(unstarted)
        return
    prompt = await _in_db_thread(selectors.prompt_for)(reply)
    await _in_db_thread(_mark_streaming)(reply)
    await events.apublish(
        owner_id, {"type": "typing", "chat_id": reply.chat_id, "message_id": reply.pk, "on": True}
    )
    collected = _Collected()
    producer = asyncio.create_task(_collect(reply, prompt, stats, collected))
    stopped = False
    try:
        while not producer.done():
            await asyncio.wait([producer], timeout=FLUSH_SECONDS)
            await _flush(reply, collected)
            if not producer.done() and await asyncio.to_thread(_stop_requested, reply.pk):
                stopped = True
                producer.cancel()
        await asyncio.gather(producer, return_exceptions=True)
        await _flush(reply, collected)
    finally:
        if not producer.done():
            producer.cancel()

    if stopped:
        status = ChatMessage.Status.STOPPED
    elif collected.error:
        status = ChatMessage.Status.FAILED
    else:
        status = ChatMessage.Status.DONE
    finished = await _in_db_thread(_finish)(reply, collected.text, status, collected.error, stats)
    await _in_db_thread(_announce_finished)(finished)


async def _collect(
    reply: ChatMessage, prompt: selectors.Prompt, stats: ReplyStats, collected: _Collected
) -> None:
    provider = get_provider()
    stats.model = stats.model or provider.name
    stream = provider.stream_reply(prompt.messages, passages=prompt.passages, stats=stats)
    try:
        async for chunk in stream:
            collected.text += chunk
    except ProviderError as error:
        collected.error = str(error)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("Reply %s failed", reply.pk)
        collected.error = UNEXPECTED_FAILURE
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
        collected.finished = True


async def _flush(reply: ChatMessage, collected: _Collected) -> None:
    pending = collected.text[collected.sent :]
    if not pending:
        return
    collected.sent = len(collected.text)
    await events.apublish(
        reply.owner_id,
        {
            "type": "message.delta",
            "chat_id": reply.chat_id,
            "message_id": reply.pk,
            "delta": pending,
        },
        append_to=reply.pk,
    )


def _mark_streaming(reply: ChatMessage) -> None:
    reply.status = ChatMessage.Status.STREAMING
    reply.save(update_fields=["status", "updated_at"])


def _finish(
    reply: ChatMessage, text: str, status: str, error: str, stats: ReplyStats
) -> ChatMessage:
    from chats import services

    return services.finish_reply(
        reply=reply,
        content=text,
        status=status,
        error=error,
        model_name=stats.model,
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
    )


def _announce_finished(reply: ChatMessage) -> None:
    from chats import services

    services.announce_finished_reply(reply=reply)


class ReplyRunner:
    """One background event loop per process that runs every reply to completion."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._running: set[Future[None]] = set()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="onyx-reply-runner", daemon=True
                )
                thread.start()
                self._loop = loop
            return self._loop

    def submit(self, owner_id: int, message_id: int) -> Future[None]:
        future = asyncio.run_coroutine_threadsafe(
            generate_reply(owner_id, message_id), self._ensure_loop()
        )
        self._running.add(future)
        future.add_done_callback(self._running.discard)
        future.add_done_callback(_log_crash)
        return future

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Block until every submitted reply has finished (tests, graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while self._running and time.monotonic() < deadline:
            time.sleep(0.02)
        if self._running:
            raise TimeoutError(f"{len(self._running)} replies still running after {timeout} s")


def _log_crash(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("Reply generation crashed", exc_info=future.exception())


runner = ReplyRunner()
