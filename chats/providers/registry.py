"""Which AI writes a reply: the model its chat chose (chats/catalogue.py decides)."""

from collections.abc import AsyncIterator, Sequence

from django.db import DatabaseError

from chats.providers.base import (
    ChatProvider,
    ModelChoice,
    Passage,
    PromptMessage,
    ProviderError,
    ReplyStats,
)
from chats.providers.builtin import BuiltinProvider
from onyx_site.async_db import in_db_thread


class RefusingProvider:
    """Fails the reply with the reason no model could write it."""

    name = ""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def stream_reply(
        self,
        messages: Sequence[PromptMessage],
        *,
        passages: Sequence[Passage] = (),
        stats: ReplyStats,
    ) -> AsyncIterator[str]:
        raise ProviderError(self.reason)
        yield ""  # pragma: no cover  (makes this an async generator, like every provider)


def get_provider(choice: ModelChoice) -> ChatProvider:
    if choice.refusal:
        return RefusingProvider(choice.refusal)
    if choice.server is not None:
        from chats.providers.openai import OpenAICompatibleProvider

        return OpenAICompatibleProvider(choice.server)
    return BuiltinProvider(others_offered=choice.others_offered)


async def prepare_providers() -> None:
    """In a replies worker, before its first job: import the model client and build a client
    for every server offered. Done by the first reply instead, with 50 replies arriving at once,
    the import alone held up the worker's loop, and every reply on it, for most of a second."""
    from chats import catalogue
    from chats.providers.openai import OpenAICompatibleProvider

    try:
        offered = await in_db_thread(catalogue.offered_models)()
    except DatabaseError:
        return  # PostgreSQL is not up yet: the first replies build their clients themselves
    for model in offered:
        if model.server is not None:
            OpenAICompatibleProvider(model.server).client()
