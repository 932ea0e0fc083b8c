"""The offline default: honest about what it is, and streams like a real model."""

import asyncio
import re
from collections.abc import AsyncIterator, Sequence

from django.conf import settings

from chats.providers.base import Passage, PromptMessage, ReplyStats

_GREETING = re.compile(
    r"^\s*(hello|hi|hey|hiya|howdy|good (morning|afternoon|evening)|greetings)\b", re.IGNORECASE
)

# What shapes Markdown anywhere in a line (CommonMark lets any ASCII punctuation be escaped with
# a backslash; these are the ones that make emphasis, code, links, images, HTML, entities,
# tables and quotes) ...
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>#|~!&])")
# ... and what does only at the start of a line: list items, headings underlined with = or -.
_MARKDOWN_LINE_MARKER = re.compile(r"^([-+=])")
_MARKDOWN_LIST_NUMBER = re.compile(r"^(\d+)([.)])")


def escape_markdown(text: str) -> str:
    """One line of file text, shown as it is: nothing in it becomes Markdown."""
    text = _MARKDOWN_INLINE.sub(r"\\\1", text)
    text = _MARKDOWN_LINE_MARKER.sub(r"\\\1", text)
    return _MARKDOWN_LIST_NUMBER.sub(r"\1\\\2", text)


def quote_passage(text: str) -> str:
    """A passage of a file as one block quote, whatever it holds: every line inside the quote
    and escaped, so a heading, a list or a link in the file stays plain text in the reply.
    Indentation goes (it would make a code block), and so do trailing spaces (a line break)."""
    lines = [escape_markdown(line.strip()) for line in text.strip().splitlines()]
    return "\n".join(f"> {line}" if line else ">" for line in lines)


GREETING_REPLY = (
    "Hello! I'm the built-in assistant of Onyx Sessions. I work offline, so I can't chat "
    "freely, but I can find and quote passages from your own files once you upload some."
)
NO_MODEL_REPLY = (
    "No language model is connected to this server, so I can't answer that myself. "
    "I'm the built-in assistant: I work offline and can only quote your own files.\n\n"
    "To connect a model, an operator either adds a connection in the admin "
    "(**Admin → Model connections**: a name, the server's OpenAI-compatible base URL such as "
    "`http://127.0.0.1:11434/v1` for Ollama, its API key if it needs one, and the models to "
    "offer), or sets `ONYX_LLM_BASE_URL`, `ONYX_LLM_MODEL` and, if the server needs one, "
    "`ONYX_LLM_API_KEY`, then restarts Onyx Sessions."
)


def _named(models: Sequence[str]) -> str:
    names = [f"“{name}”" for name in models[:5]]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _models_instead(others_offered: Sequence[str]) -> str:
    if not others_offered:
        return NO_MODEL_REPLY
    return (
        "This chat uses the built-in assistant, which works offline and can only quote your "
        f"own files, so I can't answer that myself. Choose a connected model for this chat, "
        f"{_named(others_offered)}, to get a real answer."
    )


def _greeting_pointer(others_offered: Sequence[str]) -> str:
    if others_offered:
        return f"To chat with a real model, choose {_named(others_offered)} for this chat."
    return (
        "No language model is connected yet: an operator can add one in the admin "
        "(**Model connections**) or with `ONYX_LLM_BASE_URL`."
    )


def compose_reply(
    messages: Sequence[PromptMessage],
    passages: Sequence[Passage],
    *,
    others_offered: Sequence[str] = (),
) -> str:
    question = next((m.content for m in reversed(messages) if m.role == "user"), "")
    if passages:
        quotes = [
            f"{quote_passage(passage.text)}\n\n— from *{escape_markdown(passage.file_name)}* [{n}]"
            for n, passage in enumerate(passages[:3], start=1)
        ]
        return "Here is what your files say:\n\n" + "\n\n".join(quotes)
    if _GREETING.match(question):
        return f"{GREETING_REPLY} {_greeting_pointer(others_offered)}"
    return _models_instead(others_offered)


class BuiltinProvider:
    name = "builtin"

    def __init__(self, *, others_offered: Sequence[str] = ()) -> None:
        self.others_offered = tuple(others_offered)

    async def stream_reply(
        self,
        messages: Sequence[PromptMessage],
        *,
        passages: Sequence[Passage] = (),
        stats: ReplyStats,
    ) -> AsyncIterator[str]:
        text = compose_reply(messages, passages, others_offered=self.others_offered)
        stats.model = "builtin"
        stats.prompt_tokens = sum(len(m.content.split()) for m in messages)
        words = re.findall(r"\S+\s*|\s+", text)
        stats.completion_tokens = len(words)
        for word in words:
            yield word
            await asyncio.sleep(settings.ONYX_BUILTIN_WORD_DELAY)
