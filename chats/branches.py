"""Reading the tree of a chat's messages: the branch shown, the newest leaf under a message, and
the versions (siblings) of each message.

A branch is read upwards from its last message by one recursive query that stops after the
messages asked for, so a page of a 10,000-message chat costs what a page of a short one does.
Every query also goes through for_user(), so a wrong id can only ever find nothing.
"""

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db.models import Max, Q
from django.db.models.expressions import RawSQL

from accounts.models import User
from chats.models import ChatMessage, ChatSession, Siblings
from onyx_site.db_times import api_time_sql
from onyx_site.ownership import columns_of

_MESSAGES = ChatMessage._meta.db_table

# The message %(start)s and its ancestors, at most %(limit)s of them, newest first, as whole rows;
# with `sibling_ids`, every version of each (same parent), oldest first, when %(siblings)s.
# One statement: the walk up the branch, then each row by its primary key (as `pk IN (WITH
# RECURSIVE …)`, PostgreSQL may plan a scan of the whole chat instead). raw() keeps no queryset
# filter, so the owner and the chat are conditions of the statement itself (raw_for_user).
_BRANCH_ROWS = f"""
WITH RECURSIVE branch(id, parent_id, depth) AS (
    SELECT id, parent_id, 1 FROM {_MESSAGES}
    WHERE id = %(start)s AND owner_id = %(owner)s AND chat_id = %(chat)s
    UNION ALL
    SELECT m.id, m.parent_id, b.depth + 1
    FROM {_MESSAGES} AS m JOIN branch AS b ON m.id = b.parent_id
    WHERE b.depth < %(limit)s
)
SELECT {columns_of(ChatMessage, "m")},
    CASE
        WHEN NOT %(siblings)s THEN NULL
        WHEN m.parent_id IS NULL THEN (
            SELECT array_agg(s.id ORDER BY s.id) FROM {_MESSAGES} AS s
            WHERE s.chat_id = m.chat_id AND s.owner_id = m.owner_id AND s.parent_id IS NULL
        )
        ELSE (
            SELECT array_agg(s.id ORDER BY s.id) FROM {_MESSAGES} AS s
            WHERE s.parent_id = m.parent_id AND s.owner_id = m.owner_id
        )
    END AS sibling_ids
FROM branch JOIN {_MESSAGES} AS m ON m.id = branch.id
WHERE m.owner_id = %(owner)s AND m.chat_id = %(chat)s
ORDER BY m.id DESC
"""  # noqa: S608  (the table name is ours; values go in as parameters, here and below)


@dataclass(slots=True)
class MessageJson:
    """A message of the branch as the API lists it: its JSON as PostgreSQL wrote it, every field
    of ChatMessageSerializer but `html` and `citations`, and what those two are made from
    (chats.serializers.listed_message_json). No model instance and no dict of twenty fields
    per message: a page of 50 takes a third fewer instructions."""

    pk: int
    role: str
    is_finished: bool
    content: str
    citations: list[dict[str, Any]]
    written: bytes
    shown_citations: list[dict[str, Any]] = field(default_factory=list)


# The API's page of the branch chat %(chat)s shows: from its last message, or from above the
# message %(before)s when a cursor names one (as _newest_shown() decides for shown_branch()).
# One statement finds the chat, the cursor's message and the page, so a request about another
# user's chat or a wrong cursor costs no second trip.
# Each row: whether the cursor's message was found, then from a row of the function
# chats_shown_branch() (migrations 0009 and 0012; PostgreSQL keeps its plan for the connection)
# the fields of MessageJson, all NULL for an empty page. Its JSON has the serializer's field
# names, order and formats (times as the API writes them) and comes as UTF-8 bytes, never
# decoded into Python (read in the binary format: as text, a bytea is written in hex). The
# cursor's message is found by its id alone (`OFFSET 0` keeps PostgreSQL from merging that
# lookup into the join): a plan made for the average chat otherwise read every message of the
# chat to find it.
_CHAT_BRANCH_PAGE = f"""
SELECT b.id IS NOT NULL, page.id, page.role, page.status, page.content, page.citations::text,
    convert_to((SELECT row_to_json(shown) FROM (SELECT
        page.id AS id, page.chat_id AS chat_id, page.role AS role, page.content AS content,
        page.status AS status, page.error AS error, page.model_name AS model_name,
        page.prompt_tokens AS prompt_tokens, page.completion_tokens AS completion_tokens,
        page.client_id AS client_id, page.parent_id AS parent_id,
        COALESCE(page.sibling_ids, ARRAY[page.id]) AS sibling_ids,
        COALESCE(array_position(page.sibling_ids, page.id) - 1, 0) AS sibling_index,
        COALESCE(cardinality(page.sibling_ids), 1) AS sibling_count,
        page.feedback AS feedback, page.feedback_comment AS feedback_comment,
        {api_time_sql("page.created_at")} AS created_at
    ) AS shown)::text, 'UTF8')
FROM {ChatSession._meta.db_table} AS c
LEFT JOIN LATERAL (
    SELECT id, chat_id, owner_id, parent_id FROM {_MESSAGES} WHERE id = %(before)s::bigint OFFSET 0
) AS b ON b.chat_id = c.id AND b.owner_id = %(owner)s
LEFT JOIN LATERAL chats_shown_branch(
    %(owner)s, c.id,
    CASE WHEN %(before)s::bigint IS NULL THEN c.active_leaf_id ELSE b.parent_id END,
    %(limit)s
) AS page ON true
WHERE c.id = %(chat)s AND c.owner_id = %(owner)s
ORDER BY page.id DESC
"""  # noqa: S608

# The message %s and everything below it.
_SUBTREE = f"""
WITH RECURSIVE subtree(id) AS (
    SELECT id FROM {_MESSAGES} WHERE id = %s
    UNION ALL
    SELECT m.id FROM {_MESSAGES} AS m JOIN subtree AS s ON m.parent_id = s.id
)
SELECT id FROM subtree
"""  # noqa: S608

# Export reads a whole branch; nothing else asks for more than a page.
WHOLE_BRANCH = 1_000_000


# A message as read to be shown: a model instance, or a row for the API.
Shown = TypeVar("Shown", ChatMessage, MessageJson)


@dataclass(frozen=True)
class BranchPage(Generic[Shown]):
    messages: list[Shown]  # newest first
    older: bool  # whether the branch goes on above the oldest message here


def ancestors(
    user: User, *, chat_id: int, start_id: int | None, limit: int, siblings: bool = False
) -> list[ChatMessage]:
    """`start_id` and the messages above it on its branch, at most `limit`, newest first; with
    `siblings`, each already knows its versions (attach_siblings() then asks for nothing)."""
    if start_id is None or limit < 1:
        return []
    messages = ChatMessage.objects.raw_for_user(
        user,
        _BRANCH_ROWS,
        {"start": start_id, "chat": chat_id, "limit": limit, "siblings": siblings},
    )
    if siblings:
        for message in messages:
            ids = message.sibling_ids or [message.pk]
            message.siblings = Siblings(ids=tuple(ids), index=ids.index(message.pk))
    return messages


def _newest_shown(chat: ChatSession, before: ChatMessage | None) -> int | None:
    """The message a page of the branch starts from: the chat's last, or the one above `before`
    (_CHAT_BRANCH_PAGE's CASE says the same in SQL)."""
    return before.parent_id if before is not None else chat.active_leaf_id


def shown_branch(
    user: User, chat: ChatSession, *, limit: int, before: ChatMessage | None = None
) -> BranchPage[ChatMessage]:
    """The newest `limit` messages of the branch the chat shows, or of the messages above
    `before` on its branch (the next page when scrolling up)."""
    start = _newest_shown(chat, before)
    messages = ancestors(user, chat_id=chat.pk, start_id=start, limit=limit + 1, siblings=True)
    return BranchPage(messages=messages[:limit], older=len(messages) > limit)


def chat_branch_json(
    user: User, *, chat_id: int, limit: int, before_id: int | None = None
) -> BranchPage[MessageJson]:
    """shown_branch() as the API lists it, found by the chat's id: raises
    ChatSession.DoesNotExist when the chat is not the user's, and ChatMessage.DoesNotExist when
    `before_id` is not a message of it."""
    if not 0 < chat_id < 2**63:
        raise ChatSession.DoesNotExist
    if before_id is not None and not 0 < before_id < 2**63:
        before_id = 0  # no message's id: the chat is still looked up, and its 404 comes first
    rows = ChatMessage.objects.rows_for_user(
        user,
        _CHAT_BRANCH_PAGE,
        {"chat": chat_id, "before": before_id, "limit": limit + 1},
        binary=True,  # the JSON as it is, not written in hex and decoded back
    )
    if not rows:
        raise ChatSession.DoesNotExist
    if before_id is not None and not rows[0][0]:
        raise ChatMessage.DoesNotExist
    if rows[0][1] is None:  # the chat, with no page
        return BranchPage(messages=[], older=False)
    finished = ChatMessage.FINISHED
    messages = [
        MessageJson(
            pk, role, status in finished, content, json.loads(cited) if cited else [], written
        )
        for _, pk, role, status, content, cited, written in rows[:limit]
    ]
    return BranchPage(messages=messages, older=len(rows) > limit)


def newest_leaf_under(user: User, message: ChatMessage) -> int:
    """The most recent message of the subtree below `message` (itself when it has no replies).
    Children are newer than their parents, so the newest message there is a leaf."""
    newest: int | None = (
        ChatMessage.objects.for_user(user)
        .filter(chat_id=message.chat_id, pk__in=RawSQL(_SUBTREE, [message.pk]))  # noqa: S611
        .aggregate(newest=Max("pk"))["newest"]
    )
    return newest if newest is not None else message.pk


def attach_siblings(user: User, messages: Iterable[ChatMessage]) -> None:
    """Set `siblings` on each message, with one query for all of them; a message read with
    ancestors(siblings=True) already has them."""
    messages = [m for m in messages if getattr(m, "sibling_ids", None) is None]
    if not messages:
        return
    parent_ids = {m.parent_id for m in messages if m.parent_id is not None}
    chats_with_roots = {m.chat_id for m in messages if m.parent_id is None}
    versions: defaultdict[tuple[int, int | None], list[int]] = defaultdict(list)
    rows = (
        ChatMessage.objects.for_user(user)
        .filter(Q(parent_id__in=parent_ids) | Q(parent=None, chat_id__in=chats_with_roots))
        .order_by("pk")
        .values_list("pk", "chat_id", "parent_id")
    )
    for pk, chat_id, parent_id in rows:
        versions[(chat_id, parent_id)].append(pk)
    for message in messages:
        ids = versions[(message.chat_id, message.parent_id)]
        if message.pk not in ids:  # created after the query above: it is the newest version
            ids.append(message.pk)
        message.siblings = Siblings(ids=tuple(ids), index=ids.index(message.pk))
