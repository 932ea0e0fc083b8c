"""Generating an assistant reply, independent of any socket or tab.

Replies run on one background event loop per process. The provider's chunks are coalesced and
flushed every FLUSH_SECONDS: each flush appends to the reply's text-so-far in Redis and sends one
`message.delta` event, so a fast model does not flood sockets and a tab opened mid-reply can show
everything so far. A stop request is a Redis flag, so it works from any tab and any process.
"""

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TypeVar

from accounts.session_registry import redis_client
from chats import selectors
from chats.models import ChatMessage
from chats.providers.base import Passage, ProviderError, ReplyStats
from chats.providers.registry import get_provider
from onyx_site import background, events

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05
STOP_FLAG_TTL_SECONDS = 60 * 60
UNEXPECTED_FAILURE = "Something went wrong while writing this reply. Try Regenerate."

_T = TypeVar("_T")


# A reply being written holds a lease that its writer renews; a reply left unfinished with no
# lease was cut off (the server restarted) and is marked failed by recover_stalled_replies().
LEASE_SECONDS = 30


def lease_key(message_id: int) -> str:
    return f"onyx:live:reply:{message_id}:lease"


def _renew_lease(message_id: int) -> None:
    redis_client().set(lease_key(message_id), "1", ex=LEASE_SECONDS)


def has_lease(message_id: int) -> bool:
    return bool(redis_client().exists(lease_key(message_id)))


def stop_flag_key(message_id: int) -> str:
    return f"onyx:live:reply:{message_id}:stop"


def request_stop(message_id: int) -> None:
    redis_client().set(stop_flag_key(message_id), "1", ex=STOP_FLAG_TTL_SECONDS)


def _stop_requested(message_id: int) -> bool:
    return bool(redis_client().exists(stop_flag_key(message_id)))


@dataclass
class _Collected:
    text: str = ""
    sent: int = 0  # characters already flushed
    error: str = ""
    finished: bool = False


async def generate_reply(owner_id: int, message_id: int) -> None:
    reply = await background.in_db_thread(selectors.reply_to_generate)(owner_id, message_id)
    if reply is None:
        return  # deleted, or already finished (stopped before it started)
    stats = ReplyStats()
    await asyncio.to_thread(_renew_lease, reply.pk)
    if await asyncio.to_thread(_stop_requested, reply.pk):
        unstarted = await background.in_db_thread(_finish)(
            reply, "", ChatMessage.Status.STOPPED, "", stats, []
        )
        await background.in_db_thread(_announce_finished)(unstarted)
        return
    prompt = await background.in_db_thread(selectors.prompt_for)(reply)
    await background.in_db_thread(_mark_streaming)(reply)
    await events.apublish(
        owner_id, {"type": "typing", "chat_id": reply.chat_id, "message_id": reply.pk, "on": True}
    )
    collected = _Collected()
    producer = asyncio.create_task(_collect(reply, prompt, stats, collected))
    stopped = False
    lease_renewed = time.monotonic()
    try:
        while not producer.done():
            await asyncio.wait([producer], timeout=FLUSH_SECONDS)
            await _flush(reply, collected)
            if time.monotonic() - lease_renewed > LEASE_SECONDS / 3:
                await asyncio.to_thread(_renew_lease, reply.pk)
                lease_renewed = time.monotonic()
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
    citations = citations_for(prompt.passages) if status == ChatMessage.Status.DONE else []
    finished = await background.in_db_thread(_finish)(
        reply, collected.text, status, collected.error, stats, citations
    )
    await background.in_db_thread(_announce_finished)(finished)


async def _collect(
    reply: ChatMessage, prompt: selectors.Prompt, stats: ReplyStats, collected: _Collected
) -> None:
    provider = get_provider()
    stats.model = stats.model or provider.name
    if prompt.files_not_ready:
        names = ", ".join(f"“{name}”" for name in prompt.files_not_ready)
        collected.text += (
            f"_Not ready yet: {names} is still being read, so this answer does not use it. "
            "Ask again once it shows as Ready._\n\n"
        )
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


def citations_for(passages: list[Passage]) -> list[dict[str, object]]:
    return [
        {"n": n, "file_id": p.file_id, "file_name": p.file_name, "passage": p.text[:400]}
        for n, p in enumerate(passages, start=1)
    ]


def _finish(
    reply: ChatMessage,
    text: str,
    status: str,
    error: str,
    stats: ReplyStats,
    citations: list[dict[str, object]],
) -> ChatMessage:
    from chats import services

    return services.finish_reply(
        citations=citations,
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


def submit_reply(owner_id: int, message_id: int) -> None:
    background.loop.submit(generate_reply(owner_id, message_id))
