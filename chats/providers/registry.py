"""Which AI writes a reply: the model its chat chose (chats/catalogue.py decides)."""

from collections.abc import AsyncIterator, Sequence

from chats.providers.base import (
    ChatProvider,
    ModelChoice,
    Passage,
    PromptMessage,
    ProviderError,
    ReplyStats,
)
from chats.providers.builtin import BuiltinProvider


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
