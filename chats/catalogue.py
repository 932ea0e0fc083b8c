"""The models users may choose, and who writes a chat's reply.

Offered: the built-in assistant (always), the server's default connection from the environment
(ONYX_LLM_BASE_URL / ONYX_LLM_MODEL / ONYX_LLM_API_KEY), and every model of every enabled
connection from the admin. Each has a key a chat stores: "builtin", "env", or
"<connection id>:<model name>" (model names may contain ":" themselves, as Ollama's do).
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from chats.models import ChatSession, ModelConnection
from chats.providers.base import ModelChoice, ServerModel

BUILTIN = "builtin"
ENVIRONMENT = "env"
BUILTIN_NAME = "Built-in assistant"


@dataclass(frozen=True)
class OfferedModel:
    key: str
    name: str  # the model's name, as its server knows it
    connection: str  # where it runs, as the operator named it
    server: ServerModel | None  # None for the built-in assistant


def offered_models() -> list[OfferedModel]:
    """Everything a user may choose, the server's default first and the built-in last."""
    offered = []
    if settings.ONYX_LLM_BASE_URL:
        offered.append(
            OfferedModel(
                key=ENVIRONMENT,
                name=settings.ONYX_LLM_MODEL,
                connection="Server default",
                server=ServerModel(
                    base_url=settings.ONYX_LLM_BASE_URL,
                    model=settings.ONYX_LLM_MODEL,
                    api_key=settings.ONYX_LLM_API_KEY,
                ),
            )
        )
    for connection in _enabled_connections():
        for model in connection.model_names:
            offered.append(
                OfferedModel(
                    key=f"{connection.pk}:{model}",
                    name=model,
                    connection=connection.name,
                    server=ServerModel(
                        base_url=connection.base_url, model=model, api_key=connection.api_key
                    ),
                )
            )
    offered.append(
        OfferedModel(key=BUILTIN, name=BUILTIN_NAME, connection="Onyx Sessions", server=None)
    )
    return offered


# Every reply and chat page asks what is offered; connections change when an operator edits
# them. Kept per process for a few seconds, and dropped at once in the process that saves one.
CONNECTIONS_CACHE_SECONDS = 5.0
_connections: tuple[float, list[ModelConnection]] | None = None
# Counts the times the cache was dropped: a read that a save overtook is not kept.
_dropped = 0


def _enabled_connections() -> list[ModelConnection]:
    global _connections
    cached, now = _connections, time.monotonic()
    if cached is not None and now - cached[0] <= CONNECTIONS_CACHE_SECONDS:
        return cached[1]
    dropped_before = _dropped
    enabled = list(ModelConnection.objects.filter(enabled=True).order_by("name", "pk"))
    if _dropped == dropped_before:
        _connections = (now, enabled)
    return enabled


@receiver(post_save, sender=ModelConnection)
@receiver(post_delete, sender=ModelConnection)
def forget_connections(**kwargs: object) -> None:
    global _connections, _dropped
    _dropped += 1
    _connections = None


def default_key(offered: list[OfferedModel]) -> str:
    """The model of a chat that chose none: the first one offered (the environment's, else the
    first connection's), and the built-in assistant only when nothing is connected."""
    return offered[0].key


@dataclass(frozen=True)
class ChatModelChoice:
    """What a chat's model picker shows: everything offered, and which one answers."""

    offered: list[OfferedModel]
    default_key: str
    chosen: OfferedModel | None  # None: the model the chat chose is not offered any more


def model_choice_of(chat: ChatSession) -> ChatModelChoice:
    offered = offered_models()
    default = default_key(offered)
    key = chat.model or default
    chosen = next((model for model in offered if model.key == key), None)
    return ChatModelChoice(offered=offered, default_key=default, chosen=chosen)


def choice_for(chat: ChatSession) -> ModelChoice:
    """Who writes the next reply of this chat."""
    choice = model_choice_of(chat)
    chosen = choice.chosen
    if chosen is None:
        return ModelChoice(
            refusal="The model chosen for this chat is not offered any more. "
            "Choose another model for this chat and try again."
        )
    if chosen.server is not None:
        return ModelChoice(server=chosen.server)
    others = tuple(model.name for model in choice.offered if model.server is not None)
    return ModelChoice(others_offered=others)
