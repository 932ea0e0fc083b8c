"""The offline default: honest about what it is, and streams like a real model."""

import asyncio
import re
from collections.abc import AsyncIterator, Sequence

from django.conf import settings

from chats.providers.base import Passage, PromptMessage, ReplyStats

_GREETING = re.compile(
    r"^\s*(hello|hi|hey|hiya|howdy|good (morning|afternoon|evening)|greetings)\b", re.IGNORECASE
)

GREETING_REPLY = (
    "Hello! I'm the built-in assistant of Onyx Sessions. I work offline, so I can't chat "
    "freely, but I can find and quote passages from your own files once you upload some. "
    "To talk to a real language model, ask your operator to connect one."
)
NO_MODEL_REPLY = (
    "No language model is connected to this server, so I can't answer that myself.\n\n"
    "To connect one, set `ONYX_LLM_BASE_URL` to any OpenAI-compatible server "
    "(for example `http://127.0.0.1:11434/v1` for Ollama), `ONYX_LLM_MODEL` to the model's "
    "name and, if the server needs one, `ONYX_LLM_API_KEY`; then restart Onyx Sessions."
)


def compose_reply(messages: Sequence[PromptMessage], passages: Sequence[Passage]) -> str:
    question = next((m.content for m in reversed(messages) if m.role == "user"), "")
    if passages:
        quotes = [
            f"> {passage.text.strip()}\n\n— from *{passage.file_name}* [{n}]"
            for n, passage in enumerate(passages[:3], start=1)
        ]
        return "Here is what your files say:\n\n" + "\n\n".join(quotes)
    if _GREETING.match(question):
        return GREETING_REPLY
    return NO_MODEL_REPLY


class BuiltinProvider:
    name = "builtin"

    async def stream_reply(
        self,
        messages: Sequence[PromptMessage],
        *,
        passages: Sequence[Passage] = (),
        stats: ReplyStats,
    ) -> AsyncIterator[str]:
        text = compose_reply(messages, passages)
        stats.model = "builtin"
        stats.prompt_tokens = sum(len(m.content.split()) for m in messages)
        words = re.findall(r"\S+\s*|\s+", text)
        stats.completion_tokens = len(words)
        for word in words:
            yield word
            await asyncio.sleep(settings.ONYX_BUILTIN_WORD_DELAY)
