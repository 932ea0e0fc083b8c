"""Reading chats: every query starts from the owner's rows."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Prefetch, QuerySet

from accounts.models import User
from chats.models import SEARCH_CONFIG, ChatMessage, ChatSession
from chats.providers.base import PromptMessage
from files import selectors as file_selectors
from files.models import UserFile
from files.passages import Passage
from onyx_site import live_state

# How much of the conversation a reply sees: the most recent messages, newest last.
PROMPT_HISTORY_MESSAGES = 40


@dataclass(frozen=True)
class Prompt:
    messages: list[PromptMessage]
    passages: list[Passage] = field(default_factory=list)
    files_not_ready: list[str] = field(default_factory=list)


def chats_for(user: User) -> QuerySet[ChatSession]:
    return (
        ChatSession.objects.for_user(user)
        .visible()
        .prefetch_related(Prefetch("files", queryset=UserFile.objects.for_user(user)))
        .order_by("-pinned", "-updated_at", "-pk")
    )


def reply_to_write(owner_id: int, message_id: int) -> ChatMessage | None:
    """The reply a worker is asked to write, if it still needs writing."""
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        return None
    reply = (
        ChatMessage.objects.for_user(owner)
        .filter(
            pk=message_id,
            role=ChatMessage.Role.ASSISTANT,
            status__in=ChatMessage.UNFINISHED,
        )
        .first()
    )
    if reply is not None:
        reply.owner = owner  # every later step asks for it: no query for each
    return reply


def finished_reply(owner_id: int, message_id: int) -> ChatMessage | None:
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None:
        return None
    return (
        ChatMessage.objects.for_user(owner)
        .filter(pk=message_id, role=ChatMessage.Role.ASSISTANT, status__in=ChatMessage.FINISHED)
        .first()
    )


def with_text_so_far(messages: Iterable[ChatMessage]) -> list[ChatMessage]:
    """Messages as they are now: a reply being written gets its text so far from Redis (its
    row holds only the last checkpoint)."""
    messages = list(messages)
    unfinished = [
        m.pk for m in messages if m.role == ChatMessage.Role.ASSISTANT and not m.is_finished
    ]
    texts = live_state.reply_texts(unfinished)
    for message in messages:
        if message.pk in texts:
            message.content = texts[message.pk]
    return messages


def prompt_for(reply: ChatMessage) -> Prompt:
    """The conversation up to the user message this reply answers."""
    earlier = (
        ChatMessage.objects.for_user(reply.owner)
        .current()
        .filter(chat_id=reply.chat_id, pk__lte=reply.reply_to_id or reply.pk)
        .exclude(role=ChatMessage.Role.ASSISTANT, status=ChatMessage.Status.FAILED)
        .exclude(pk=reply.pk)
        .order_by("-pk")[:PROMPT_HISTORY_MESSAGES]
    )
    messages = [
        PromptMessage(
            role="user" if m.role == ChatMessage.Role.USER else "assistant", content=m.content
        )
        for m in reversed(list(earlier))
        if m.content
    ]
    question = next((m.content for m in reversed(messages) if m.role == "user"), "")
    attached = list(
        ChatSession.objects.for_user(reply.owner)
        .filter(pk=reply.chat_id)
        .values_list("files", flat=True)
    )
    file_ids = [pk for pk in attached if pk is not None] or None
    return Prompt(
        messages=messages,
        passages=file_selectors.relevant_passages(reply.owner, question, file_ids=file_ids),
        files_not_ready=file_selectors.files_not_ready(reply.owner, file_ids=file_ids),
    )


@dataclass(frozen=True)
class SearchHit:
    chat: ChatSession
    message: ChatMessage | None
    rank: float


def search_chats(user: User, text: str, *, limit: int = 50) -> list[SearchHit]:
    """Chats whose title or messages match, best first; a chat appears once."""
    text = text.replace("\x00", " ").strip()  # PostgreSQL refuses NUL in any string
    if not text:
        return []
    query = SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
    title_hits = (
        ChatSession.objects.for_user(user)
        .annotate(rank=SearchRank(SearchVector("title", config=SEARCH_CONFIG), query))
        .annotate(document=SearchVector("title", config=SEARCH_CONFIG))
        .filter(document=query)
        .order_by("-rank")[:limit]
    )
    message_hits = (
        ChatMessage.objects.for_user(user)
        .current()
        .annotate(document=SearchVector("content", config=SEARCH_CONFIG))
        .filter(document=query)
        .annotate(rank=SearchRank(SearchVector("content", config=SEARCH_CONFIG), query))
        .select_related("chat")
        .order_by("-rank", "-pk")[: limit * 3]
    )
    hits: dict[int, SearchHit] = {}
    for chat in title_hits:
        hits[chat.pk] = SearchHit(chat=chat, message=None, rank=_rank(chat) + 1.0)
    for message in message_hits:
        if message.chat_id not in hits:
            hits[message.chat_id] = SearchHit(
                chat=message.chat, message=message, rank=_rank(message)
            )
    return sorted(hits.values(), key=lambda hit: hit.rank, reverse=True)[:limit]


def _rank(row: ChatSession | ChatMessage) -> float:
    # `rank` is annotated by the query above; the model itself has no such field.
    return float(getattr(row, "rank", 0.0))
