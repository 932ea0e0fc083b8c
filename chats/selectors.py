"""Reading chats: every query starts from the owner's rows."""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Q, QuerySet
from django.urls import reverse

from accounts.models import User
from chats import branches, catalogue
from chats.branches import MessageJson, Shown
from chats.models import SEARCH_CONFIG, ChatMessage, ChatSession, Siblings, shown_title
from chats.providers.base import ModelChoice, PromptMessage
from files import selectors as file_selectors
from files.models import UserFile
from files.passages import Passage
from onyx_site import live_state
from onyx_site.db_times import api_time_sql
from onyx_site.ownership import columns_of

# How much of the conversation a reply sees: the most recent messages, newest last.
PROMPT_HISTORY_MESSAGES = 40


@dataclass(frozen=True)
class Prompt:
    model: ModelChoice
    messages: list[PromptMessage]
    passages: list[Passage] = field(default_factory=list)
    files_not_ready: list[str] = field(default_factory=list)


_ATTACHED_FILE_FIELDS = ("id", "name", "kind", "size", "status")
_CHAT_FILES = ChatSession._meta.get_field("files")
_FILES_OF_CHATS = _CHAT_FILES.remote_field.through._meta.db_table  # type: ignore[union-attr]
_FILE_AS_JSON = ", ".join(f"'{name}', f.{name}" for name in _ATTACHED_FILE_FIELDS)
# The files attached to the chat `c`, as JSON in the shape attach_chat_files() sets (read with
# attached_files_from_json()). Each file is found by its id (`OFFSET 0` keeps that lookup a
# subquery PostgreSQL cannot merge into a join): as a join, a plan made for the average owner
# read all of a user's files for every chat.
ATTACHED_FILES_OF_C = f"""COALESCE((
        SELECT jsonb_agg(jsonb_build_object({_FILE_AS_JSON}) ORDER BY f.id)
        FROM {_FILES_OF_CHATS} AS cf
        CROSS JOIN LATERAL (
            SELECT {", ".join(_ATTACHED_FILE_FIELDS)}, owner_id FROM {UserFile._meta.db_table}
            WHERE id = cf.{_CHAT_FILES.m2m_reverse_name()} OFFSET 0
        ) AS f
        WHERE cf.{_CHAT_FILES.m2m_column_name()} = c.id AND f.owner_id = c.owner_id
    ), '[]')"""  # noqa: S608  (names are ours; values go in as parameters, here and below)


# A page of the user's chats that are not archived, pinned first, then by latest activity; each
# row with its attached files and how many chats the list has in all: a page and
# its total in one statement, and its SQL built once instead of by the ORM on every request. The
# page is read in order from the index chat_list_order, and only its rows get their times written
# and their files looked up: with the whole list numbered and sorted first, a page of a user with
# 4,000 chats took 8 ms, the last page 12. The owner is a condition of the statement itself.
_CHATS = ChatSession._meta.db_table
_CHAT_PAGE = f"""
SELECT c.id, c.title, c.pinned, c.archived, c.model, c.system_prompt, c.active_leaf_id,
    {api_time_sql("c.created_at")}, {api_time_sql("c.updated_at")}, {ATTACHED_FILES_OF_C},
    (SELECT count(*) FROM {_CHATS} AS a WHERE a.owner_id = %(owner)s AND NOT a.archived)
FROM (
    SELECT p.id, p.owner_id, p.title, p.pinned, p.archived, p.model, p.system_prompt,
        p.active_leaf_id, p.created_at, p.updated_at
    FROM {_CHATS} AS p
    WHERE p.owner_id = %(owner)s AND NOT p.archived
    ORDER BY p.pinned DESC, p.updated_at DESC, p.id DESC
    LIMIT %(limit)s OFFSET %(offset)s
) AS c
ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC
"""  # noqa: S608
# The attached files of the chats %(ids)s of the owner, each chat found by its id (as above).
_FILES_OF_THESE_CHATS = f"""
SELECT c.id, {ATTACHED_FILES_OF_C}
FROM unnest(%(ids)s::bigint[]) AS wanted(id)
CROSS JOIN LATERAL (SELECT id, owner_id FROM {_CHATS} WHERE id = wanted.id OFFSET 0) AS c
WHERE c.owner_id = %(owner)s
"""  # noqa: S608


class ChatRow(NamedTuple):
    """A chat as the API's list shows it, read without building a model instance."""

    pk: int
    title: str
    pinned: bool
    archived: bool
    model: str
    system_prompt: str
    active_leaf_id: int | None
    created_at: str  # as the API writes times
    updated_at: str
    attached_files: list[dict[str, Any]]


def attached_files_from_json(text: str) -> list[dict[str, Any]]:
    # Most chats have no files attached; json.loads costs ~3 µs even for "[]", a tenth of a
    # page of 100 chats.
    return [] if text == "[]" else json.loads(text)


def chat_page(user: User, *, offset: int, limit: int) -> tuple[list[ChatRow], int | None]:
    """`limit` chats of the API's list from `offset`, with their attached files, and how many
    the list has in all (None when the page is past its end)."""
    rows = ChatSession.objects.rows_for_user(user, _CHAT_PAGE, {"limit": limit, "offset": offset})
    total: int | None = rows[0][-1] if rows else (0 if offset == 0 else None)
    return [ChatRow._make((*row[:-2], attached_files_from_json(row[-2]))) for row in rows], total


def attach_chat_files(user: User, chats: Sequence[ChatSession]) -> None:
    """Set `attached_files` on each chat (the files it answers from, as the API shows them),
    with one statement for all of them, written once (the ORM built this join anew each time,
    more than half a millisecond of every message sent)."""
    by_chat: dict[int, list[dict[str, Any]]] = {chat.pk: [] for chat in chats}
    if by_chat:
        rows = ChatSession.objects.rows_for_user(
            user, _FILES_OF_THESE_CHATS, {"ids": list(by_chat)}
        )
        for chat_id, files in rows:
            by_chat[chat_id] = attached_files_from_json(files)
    for chat in chats:
        chat.attached_files = by_chat[chat.pk]


def files_of_chat(user: User, chat: ChatSession) -> QuerySet[UserFile]:
    """The files attached to a chat (it answers from these; none attached: all files)."""
    attached = ChatSession.objects.for_user(user).filter(pk=chat.pk).values("files")
    return UserFile.objects.for_user(user).filter(pk__in=attached)


# The sidebar lists this many of the most recent chats at first, and as many more each time its
# end is reached, up to SIDEBAR_MAX_CHATS; search reaches the rest. A row with its menu is ~1.9 KB
# of HTML: 200 rows at first made a heavy user's every page 430 KB, and the whole list is fetched
# again whenever a chat changes.
SIDEBAR_CHATS = 50
SIDEBAR_MAX_CHATS = 500


class SidebarChat(NamedTuple):
    """A chat as the sidebar lists it: a plain row, not a model instance (building 200 model
    instances with deferred fields took most of the sidebar's 1.9 ms)."""

    pk: int
    title: str
    pinned: bool
    archived: bool

    @property
    def display_title(self) -> str:
        return shown_title(self.title)


@dataclass(frozen=True)
class ChatGroup:
    label: str
    chats: list[SidebarChat]


def _age_label(day: date, today: date) -> str:
    if day >= today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    if day > today - timedelta(days=7):
        return "Previous 7 days"
    return "Older"


@dataclass(frozen=True)
class ChatGroups:
    groups: list[ChatGroup]
    listed: int  # how many chats the groups may hold (those listed, when there are more)
    more: bool  # the user has more chats than are listed; search reaches them


def _sidebar_rows(user: User, *, archived: bool, limit: int) -> list[tuple[Any, ...]]:
    """The first `limit` + 1 chats in the sidebar's order: pinned first, then the most recent."""
    return list(
        ChatSession.objects.for_user(user)
        .filter(archived=archived)
        .order_by("-pinned", "-updated_at", "-pk")
        .values_list("pk", "title", "pinned", "archived", "updated_at")[: limit + 1]
    )


def _place_in_sidebar(user: User, chat_id: int, *, archived: bool) -> int | None:
    """How many of the user's chats come before `chat_id` in the sidebar's order; None when it
    is not one of the chats listed there."""
    chat = (
        ChatSession.objects.for_user(user)
        .filter(pk=chat_id, archived=archived)
        .values("pinned", "updated_at", "pk")
        .first()
    )
    if chat is None:
        return None
    pinned, updated_at = chat["pinned"], chat["updated_at"]
    return (
        ChatSession.objects.for_user(user)
        .filter(archived=archived)
        .filter(
            Q(pinned__gt=pinned)
            | Q(pinned=pinned, updated_at__gt=updated_at)
            | Q(pinned=pinned, updated_at=updated_at, pk__gt=chat_id)
        )
        .count()
    )


def chat_groups(
    user: User,
    *,
    now: datetime,
    zone: tzinfo,
    archived: bool = False,
    limit: int | None = None,
    including: int | None = None,
) -> ChatGroups:
    """The user's first `limit` chats (SIDEBAR_CHATS by default) as the sidebar shows them:
    pinned first, then by the reader's day (in `zone`) of their last activity (Today, Yesterday,
    Previous 7 days, Older); empty groups left out. Chat `including`, the one the page shows, is
    listed too, with as many more pages of chats as it takes, up to SIDEBAR_MAX_CHATS: the
    sidebar marks it, wherever it was reached from."""
    limit = SIDEBAR_CHATS if limit is None else limit
    rows = _sidebar_rows(user, archived=archived, limit=limit)
    if (
        including is not None
        and len(rows) > limit
        and all(row[0] != including for row in rows[:limit])
    ):
        place = _place_in_sidebar(user, including, archived=archived)
        if place is not None and place >= limit:
            pages = place // SIDEBAR_CHATS + 1
            limit = min(pages * SIDEBAR_CHATS, SIDEBAR_MAX_CHATS)
            rows = _sidebar_rows(user, archived=archived, limit=limit)
    today = now.astimezone(zone).date()
    groups: dict[str, list[SidebarChat]] = {}
    for pk, title, pinned, is_archived, updated_at in rows[:limit]:
        label = "Pinned" if pinned else _age_label(updated_at.astimezone(zone).date(), today)
        groups.setdefault(label, []).append(SidebarChat(pk, title, pinned, is_archived))
    return ChatGroups(
        groups=[ChatGroup(label=label, chats=members) for label, members in groups.items()],
        listed=limit,
        more=len(rows) > limit,
    )


_MESSAGES = ChatMessage._meta.db_table
# An unfinished reply %(pk)s, whether its owner is still active, and its versions (the messages
# with the same parent), oldest first. Statements written once: a worker reads these for every
# reply, and the ORM took longer to build the queries than PostgreSQL to answer them.
_REPLY_TO_WRITE = f"""
SELECT {columns_of(ChatMessage, "m")}, u.is_active AS owner_is_active,
    ARRAY(
        SELECT s.id FROM {_MESSAGES} AS s
        WHERE s.parent_id = m.parent_id AND s.owner_id = %(owner)s ORDER BY s.id
    ) AS version_ids
FROM {_MESSAGES} AS m JOIN {User._meta.db_table} AS u ON u.id = m.owner_id
WHERE m.id = %(pk)s AND m.owner_id = %(owner)s AND m.role = %(role)s
    AND m.status = ANY(%(unfinished)s)
"""  # noqa: S608  (names from the models, values as parameters)


def reply_to_write(owner_id: int, message_id: int) -> ChatMessage | None:
    """The reply a worker is asked to write, if it still needs writing and its owner is still
    active; with its chat and versions, which every later step asks for. Its versions cannot
    change while it is written (a regenerate or an edit then is refused: one unfinished reply
    per chat), so they are still true when it is announced."""
    # The owner as the job names it: every later step only scopes its queries by it.
    owner = User(pk=owner_id)
    found = ChatMessage.objects.raw_for_user(
        owner,
        _REPLY_TO_WRITE,
        {
            "pk": message_id,
            "role": ChatMessage.Role.ASSISTANT.value,
            "unfinished": list(ChatMessage.UNFINISHED),
        },
    )
    if not found or not getattr(found[0], "owner_is_active", False):
        return None
    reply = found[0]
    try:
        reply.chat = ChatSession.objects.one_for_user(owner, reply.chat_id)
    except ChatSession.DoesNotExist:
        return None  # deleted meanwhile
    reply.owner = owner
    versions: list[int] = getattr(reply, "version_ids", [])  # read with the row
    if reply.pk in versions:  # a reply always has a parent, the message it answers
        reply.sibling_ids = versions  # attach_siblings() then asks for nothing
        reply.siblings = Siblings(ids=tuple(versions), index=versions.index(reply.pk))
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


def with_text_so_far(messages: Iterable[Shown]) -> list[Shown]:
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


def citation_link(citation: dict[str, Any], *, file_exists: bool) -> dict[str, Any]:
    """A stored citation as shown: where it leads (the file, at the passage quoted), or that
    the file was deleted since."""
    shown = {**citation, "chunk_index": citation.get("chunk_index"), "deleted": not file_exists}
    shown["url"] = None
    if file_exists:
        url = reverse("file-detail", args=[citation["file_id"]])
        index = citation.get("chunk_index")
        shown["url"] = url if index is None else f"{url}?passage={index}#passage-{index}"
    return shown


def attach_citation_links(user: User, messages: Sequence[ChatMessage | MessageJson]) -> None:
    """Set `shown_citations` on each message; one query for all the files they cite, if any."""
    cited = {
        citation["file_id"]
        for message in messages
        for citation in message.citations
        if isinstance(citation, dict) and isinstance(citation.get("file_id"), int)
    }
    existing = (
        set(UserFile.objects.for_user(user).filter(pk__in=cited).values_list("pk", flat=True))
        if cited
        else set()
    )
    for message in messages:
        message.shown_citations = (
            [
                citation_link(citation, file_exists=citation.get("file_id") in existing)
                for citation in message.citations
                if isinstance(citation, dict)
            ]
            if message.citations
            else []
        )


def shown_as_only_versions(messages: Iterable[ChatMessage]) -> None:
    """ready_to_show() for messages just created at the end of the branch shown: each is the
    only version of its turn, has no text so far and cites nothing, so nothing is read."""
    for message in messages:
        message.siblings = Siblings(ids=(message.pk,), index=0)
        message.shown_citations = []


def ready_to_show(user: User, messages: Iterable[ChatMessage]) -> list[ChatMessage]:
    """Messages with what a page, the API or an event shows besides their row: the text so far
    of a reply being written, the versions of each message, and where its citations lead."""
    shown = with_text_so_far(messages)
    branches.attach_siblings(user, shown)
    attach_citation_links(user, shown)
    return shown


def ready_to_list(user: User, messages: list[MessageJson]) -> list[MessageJson]:
    """ready_to_show() for the API's list, whose rows were read with their versions."""
    listed = with_text_so_far(messages)
    attach_citation_links(user, listed)
    return listed


# The files a chat answers from (those attached to it, or all of the owner's when none are), as
# the attached ids (NULL for all), how many are ready, and the names of those not read yet.
_FILES = UserFile._meta.db_table
_ANSWER_FILES = f"""
WITH attached AS (
    SELECT {_CHAT_FILES.m2m_reverse_name()} AS file_id FROM {_FILES_OF_CHATS}
    WHERE {_CHAT_FILES.m2m_column_name()} = %(chat)s
)
SELECT
    (SELECT array_agg(file_id ORDER BY file_id) FROM attached),
    count(*) FILTER (WHERE f.status = %(ready)s),
    array_agg(f.name ORDER BY f.id) FILTER (WHERE f.status = ANY(%(waiting)s))
FROM {_FILES} AS f
WHERE f.owner_id = %(owner)s
    AND (NOT EXISTS (SELECT 1 FROM attached) OR f.id IN (SELECT file_id FROM attached))
"""  # noqa: S608


def _files_to_answer_from(
    user: User, chat: ChatSession
) -> tuple[list[int] | None, file_selectors.FileScope]:
    """files_of_chat() and what those files are ready for, in one statement; the chat is the
    user's already."""
    [(attached, ready, not_ready)] = UserFile.objects.rows_for_user(
        user,
        _ANSWER_FILES,
        {
            "chat": chat.pk,
            "ready": UserFile.Status.READY.value,
            "waiting": [UserFile.Status.UPLOADED.value, UserFile.Status.PROCESSING.value],
        },
    )
    return attached, file_selectors.FileScope(ready=ready, not_ready=not_ready or [])


def prompt_for(reply: ChatMessage) -> Prompt:
    """The conversation on the reply's branch, up to the user message it answers."""
    earlier = branches.ancestors(
        reply.owner,
        chat_id=reply.chat_id,
        start_id=reply.parent_id,
        limit=PROMPT_HISTORY_MESSAGES,
    )
    messages: list[PromptMessage] = [
        PromptMessage(
            role="user" if m.role == ChatMessage.Role.USER else "assistant", content=m.content
        )
        for m in reversed(earlier)
        if m.content
        and not (m.role == ChatMessage.Role.ASSISTANT and m.status == ChatMessage.Status.FAILED)
    ]
    question = next((m.content for m in reversed(messages) if m.role == "user"), "")
    chat = reply.chat  # loaded with the reply, by the same owner
    if chat.system_prompt.strip():
        messages.insert(0, PromptMessage(role="system", content=chat.system_prompt))
    file_ids, scope = _files_to_answer_from(reply.owner, chat)
    passages = (
        file_selectors.relevant_passages(reply.owner, question, file_ids=file_ids)
        if scope.ready
        else []
    )
    return Prompt(
        model=catalogue.choice_for(chat),
        messages=messages,
        passages=passages,
        files_not_ready=scope.not_ready,
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
    # Every version of every message: text on a branch not shown is still the user's text.
    message_hits = (
        ChatMessage.objects.for_user(user)
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
