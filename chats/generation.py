"""Writing an assistant reply in a worker: the model's text, streamed live to every tab.

The first piece of text is published at once; after that the provider's chunks are coalesced, so
a reply sends at most one `message.delta` per FLUSH_SECONDS, or less often while its process writes
many replies at once (flush_seconds()). Each delta is appended to the
reply's text so far in Redis in the same atomic step that logs the event, and carries its offset
in code points. The text so far is also checkpointed to PostgreSQL every few seconds. Stop is a
Redis flag, checked between flushes, so it works from any tab or process.

When the task engine gives a reply's job to a new attempt (its worker died or was stopped), the
reply is written again: while the new text repeats what the tabs already show nothing is sent
and the reply simply continues; if it differs, one delta with `reset` replaces the text and the
tabs say the reply restarted.
"""

import asyncio
import logging
import time
from dataclasses import dataclass

from django.conf import settings

from chats import replies, selectors
from chats.models import ChatMessage
from chats.providers.base import ProviderError, ReplyStats
from chats.providers.registry import get_provider
from files.passages import Passage
from onyx_site import events, live_state
from onyx_site.async_db import in_db_thread
from onyx_site.live_state import ReplyText

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.05
# Every delta costs a publish and a relay to each tab, so a process writing many replies at once
# spreads them: together they send about this many a second, each reply still at least
# 1 / MAX_FLUSH_SECONDS (a burst of 50 replies would otherwise send 1,000 a second and delay the
# first words of the replies that start after them).
DELTAS_PER_SECOND = 200
MAX_FLUSH_SECONDS = 0.25
STOP_CHECK_SECONDS = 0.2
# With no text arriving (a model thinking), still wake up this often to check the stop flag.
IDLE_WAKE_SECONDS = 0.25
LEASE_RENEW_SECONDS = live_state.LEASE_SECONDS / 3
# A reply whose writers keep dying (a poison reply) is given up after this many attempts.
MAX_ATTEMPTS = 4
UNEXPECTED_FAILURE = "Something went wrong while writing this reply. Try Regenerate."
GAVE_UP = "This reply was interrupted too many times. Try Regenerate."


_replies_streaming = 0  # in this process


def flush_seconds() -> float:
    """How long a reply's chunks are coalesced now, given how many this process is writing."""
    return min(MAX_FLUSH_SECONDS, max(FLUSH_SECONDS, _replies_streaming / DELTAS_PER_SECOND))


def citations_for(passages: list[Passage]) -> tuple[dict[str, object], ...]:
    return tuple(
        {
            "n": n,
            "file_id": p.file_id,
            "file_name": p.file_name,
            "chunk_index": p.chunk_index,
            "passage": p.text[:400],
        }
        for n, p in enumerate(passages, start=1)
    )


def _open(
    owner_id: int, reply_id: int, *, start: bool
) -> tuple[ChatMessage, selectors.Prompt | None] | None:
    """The reply to write, and (with `start`) its prompt once it is marked streaming: one trip
    to a database thread, since each trip waits for a thread and a pooled connection."""
    reply = selectors.reply_to_write(owner_id, reply_id)
    if reply is None:
        return None
    if not start:
        return reply, None
    prompt = selectors.prompt_for(reply)
    return reply, prompt if replies.start_streaming(reply) else None


def _finish(reply: ChatMessage, outcome: replies.Outcome) -> list[dict[str, object]]:
    """Store the finished reply; the news to announce, or none if someone else finished it."""
    if not replies.finish(reply, outcome):
        return []
    live_state.forget_reply(reply.pk)
    return replies.finished_news(reply)


def _news_again(owner_id: int, reply_id: int) -> list[dict[str, object]]:
    """An earlier attempt finished the reply, then died before it told the tabs (or before the
    engine heard it was done): tell them now, or they show it streaming until a reload. Tabs
    take a second `message.completed` for the same message as the same news."""
    reply = selectors.finished_reply(owner_id, reply_id)
    if reply is None:
        return []
    live_state.forget_reply(reply.pk)
    return replies.finished_news(reply)


async def _finish_and_announce(reply: ChatMessage, outcome: replies.Outcome) -> None:
    # Published from the loop, not the database thread: a thread waiting for the loop would
    # hold its pooled connection meanwhile.
    news = await in_db_thread(_finish)(reply, outcome)
    if news:
        await events.apublish_many(reply.owner_id, news)


async def write_reply(owner_id: int, reply_id: int, *, attempt: int) -> None:
    """The job of one reply (chats/tasks.py). `attempt` counts from 0."""
    shown, stop_asked = await live_state.atake_over(reply_id)
    giving_up = attempt >= MAX_ATTEMPTS or stop_asked
    opened = await in_db_thread(_open)(owner_id, reply_id, start=not giving_up)
    if opened is None:
        if attempt > 0 and (news := await in_db_thread(_news_again)(owner_id, reply_id)):
            await events.apublish_many(owner_id, news)
        return  # deleted, or already finished
    reply, prompt = opened
    earlier_text = shown if shown is not None else reply.content
    if giving_up:
        outcome = replies.Outcome(
            content=earlier_text,
            status=ChatMessage.Status.STOPPED if stop_asked else ChatMessage.Status.FAILED,
            error="" if stop_asked else GAVE_UP,
            model_name=reply.model_name,
        )
        await _finish_and_announce(reply, outcome)
        return
    if prompt is None:
        return  # finished by someone else meanwhile
    # Redis lost the text of an earlier attempt (only PostgreSQL's checkpoint has it): the tabs
    # may hold more or less of it, so the first delta replaces whatever they show.
    stream = _ReplyStream(
        reply, shown=shown or "", replace_first=shown is None and bool(earlier_text)
    )
    # Told alongside the model's request, not before it: the first token waits for nothing.
    typing_on = asyncio.create_task(
        events.apublish(
            owner_id,
            {"type": "typing", "chat_id": reply.chat_id, "message_id": reply.pk, "on": True},
        )
    )
    try:
        outcome = await stream.run(prompt)
    except asyncio.CancelledError:
        # The worker is shutting down and hands the job back: keep what the tabs show.
        await asyncio.shield(in_db_thread(replies.checkpoint)(reply, stream.visible_text()))
        raise
    except Exception:
        log.exception("Writing reply %s failed", reply_id)
        outcome = replies.Outcome(
            content=stream.visible_text(),
            status=ChatMessage.Status.FAILED,
            error=UNEXPECTED_FAILURE,
            model_name=stream.stats.model,
        )
    finally:
        await asyncio.gather(typing_on, return_exceptions=True)
    await _finish_and_announce(reply, outcome)


@dataclass
class _Piece:
    text: str
    reset: bool


class _ReplyStream:
    """One attempt at a reply: the provider's text in, coalesced deltas out."""

    def __init__(self, reply: ChatMessage, *, shown: str, replace_first: bool) -> None:
        self.reply = reply
        self.stats = ReplyStats()
        self.text = ""  # everything this attempt has received
        self.error = ""
        self.shown = shown  # what the tabs show from an earlier attempt
        self.caught_up = not shown  # this attempt's text has overtaken or replaced `shown`
        self.sent = 0  # code points of self.text the tabs have
        self.replace_next = replace_first
        self.finished = False
        self.arrived = asyncio.Event()

    def visible_text(self) -> str:
        return self.text[: self.sent] if self.caught_up else self.shown

    async def run(self, prompt: selectors.Prompt) -> replies.Outcome:
        global _replies_streaming
        _replies_streaming += 1
        try:
            return await self._run(prompt)
        finally:
            _replies_streaming -= 1

    async def _run(self, prompt: selectors.Prompt) -> replies.Outcome:
        producer = asyncio.create_task(self._produce(prompt))
        stopped = False
        last_flush = float("-inf")
        last_stop_check = last_lease = last_checkpoint = time.monotonic()
        try:
            while True:
                if not producer.done():
                    await self._text_or_timeout(producer, IDLE_WAKE_SECONDS)
                wait = flush_seconds() - (time.monotonic() - last_flush)
                if wait > 0 and not producer.done():
                    await asyncio.wait([producer], timeout=wait)  # coalesce
                self.arrived.clear()
                await self._publish_pending()
                last_flush = now = time.monotonic()
                if producer.done():
                    break
                if now - last_stop_check >= STOP_CHECK_SECONDS:
                    last_stop_check = now
                    if await live_state.astop_requested(self.reply.pk):
                        stopped = True
                        producer.cancel()
                        await asyncio.gather(producer, return_exceptions=True)
                        await self._publish_pending()
                        break
                if now - last_lease >= LEASE_RENEW_SECONDS:
                    last_lease = now
                    await live_state.arenew_lease(self.reply.pk)
                if now - last_checkpoint >= settings.ONYX_REPLY_CHECKPOINT_SECONDS:
                    last_checkpoint = now
                    await in_db_thread(replies.checkpoint)(self.reply, self.visible_text())
            # The last text may have arrived while the loop was publishing.
            await self._publish_pending()
        finally:
            if not producer.done():
                producer.cancel()
                await asyncio.gather(producer, return_exceptions=True)
        return self._outcome(prompt, stopped=stopped)

    def _outcome(self, prompt: selectors.Prompt, *, stopped: bool) -> replies.Outcome:
        if stopped:
            status = ChatMessage.Status.STOPPED
        elif self.error:
            status = ChatMessage.Status.FAILED
        else:
            status = ChatMessage.Status.DONE
        done = status == ChatMessage.Status.DONE
        return replies.Outcome(
            content=self.visible_text(),
            status=status,
            error=self.error,
            model_name=self.stats.model,
            prompt_tokens=self.stats.prompt_tokens,
            completion_tokens=self.stats.completion_tokens,
            citations=citations_for(prompt.passages) if done else (),
        )

    async def _text_or_timeout(self, producer: asyncio.Task[None], wake_after: float) -> None:
        arrival = asyncio.ensure_future(self.arrived.wait())
        try:
            await asyncio.wait(
                [arrival, producer], timeout=wake_after, return_when="FIRST_COMPLETED"
            )
        finally:
            arrival.cancel()

    def _add(self, text: str) -> None:
        self.text += text
        self.arrived.set()

    async def _produce(self, prompt: selectors.Prompt) -> None:
        provider = get_provider(prompt.model)
        self.stats.model = self.stats.model or provider.name
        if prompt.files_not_ready:
            names = ", ".join(f"“{name}”" for name in prompt.files_not_ready)
            self._add(
                f"_Not ready yet: {names} is still being read, so this answer does not use it. "
                "Ask again once it shows as Ready._\n\n"
            )
        stream = provider.stream_reply(prompt.messages, passages=prompt.passages, stats=self.stats)
        try:
            async for chunk in stream:
                self._add(chunk)
        except ProviderError as error:
            self.error = str(error)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Reply %s failed in its provider", self.reply.pk)
            self.error = UNEXPECTED_FAILURE
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()
            self.finished = True

    def _take_pending(self) -> _Piece | None:
        if not self.caught_up:
            if self.text.startswith(self.shown) and len(self.text) > len(self.shown):
                # The new attempt continues the earlier text: carry on from its end.
                self.caught_up, self.sent = True, len(self.shown)
            elif self.shown.startswith(self.text) and not self.finished:
                return None  # still repeating what the tabs show
            elif self.text == self.shown:
                self.caught_up, self.sent = True, len(self.text)
                return None
            else:
                # It went another way: replace the text the tabs show.
                self.caught_up, self.sent, self.replace_next = True, 0, True
        pending = self.text[self.sent :]
        if not pending and not self.replace_next:
            return None
        self.sent = len(self.text)
        piece = _Piece(text=pending, reset=self.replace_next)
        self.replace_next = False
        return piece

    async def _publish_pending(self) -> None:
        piece = self._take_pending()
        if piece is None:
            return
        event: dict[str, object] = {
            "type": "message.delta",
            "chat_id": self.reply.chat_id,
            "message_id": self.reply.pk,
            "delta": piece.text,
        }
        if piece.reset:
            event["reset"] = True
        await events.apublish(
            self.reply.owner_id,
            event,
            reply_text=ReplyText(self.reply.pk, append=piece.text, reset=piece.reset),
        )
