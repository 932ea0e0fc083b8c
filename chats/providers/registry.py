"""Which AI answers: an OpenAI-compatible server when one is configured, else the built-in."""

from django.conf import settings

from chats.providers.base import ChatProvider
from chats.providers.builtin import BuiltinProvider


def get_provider() -> ChatProvider:
    if settings.ONYX_LLM_BASE_URL:
        from chats.providers.openai import OpenAICompatibleProvider

        return OpenAICompatibleProvider()
    return BuiltinProvider()
