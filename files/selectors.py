"""A user's files seen from a chat: passages that best match a question, and files not ready."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db.models import Count, Window

from accounts.models import User
from files.models import SEARCH_CONFIG, FileChunk, UserFile
from files.passages import Passage

PASSAGES_PER_ANSWER = 4
_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)


def relevant_passages(
    user: User, question: str, *, file_ids: list[int] | None, limit: int = PASSAGES_PER_ANSWER
) -> list[Passage]:
    """The user's own chunks ranked by PostgreSQL full-text relevance to the question.
    `file_ids` narrows to the files attached to a chat; None means all of the user's files."""
    words = _WORD.findall(question)[:40]
    if not words:
        return []
    # Any word may match (websearch "or"); ranking prefers chunks that match more of them.
    query = SearchQuery(" or ".join(words), config=SEARCH_CONFIG, search_type="websearch")
    chunks = FileChunk.objects.for_user(user).filter(file__status=UserFile.Status.READY)
    if file_ids is not None:
        chunks = chunks.filter(file_id__in=file_ids)
    ranked = (
        chunks.annotate(document=SearchVector("text", config=SEARCH_CONFIG))
        .filter(document=query)
        .annotate(rank=SearchRank(SearchVector("text", config=SEARCH_CONFIG), query))
        .select_related("file")
        .order_by("-rank", "file_id", "index")[:limit]
    )
    return [
        Passage(file_id=c.file_id, file_name=c.file.name, text=c.text, chunk_index=c.index)
        for c in ranked
    ]


@dataclass(frozen=True)
class FileScope:
    """What an answer may draw on (read by chats.selectors with the chat's files)."""

    ready: int  # files an answer can use
    not_ready: list[str]  # names of files still waiting or being read


class Named(Protocol):
    @property
    def pk(self) -> int: ...

    @property
    def name(self) -> str: ...


_Named = TypeVar("_Named", bound=Named)


def _name_key(file: Named) -> tuple[str, str, int]:
    # PostgreSQL's C collation puts every capital before "a" and "É" after "z".
    letters = "".join(
        c for c in unicodedata.normalize("NFKD", file.name) if not unicodedata.combining(c)
    )
    return (letters.casefold(), file.name, file.pk)


def by_name(files: Iterable[_Named]) -> list[_Named]:
    """Files in the order people read a list of names: case and accents aside (é with e)."""
    return sorted(files, key=_name_key)


# The files chooser of a chat lists the files attached to it and the newest others, this many in
# all: a checkbox for each of 3,000 files took 0.4 s of every chat page.
CHOOSER_FILES = 50


@dataclass(frozen=True, slots=True)
class ChooserFile:
    """A file as the chooser lists it: all its checkbox shows."""

    pk: int
    name: str


def files_for_chooser(user: User, attached: list[UserFile]) -> tuple[list[ChooserFile], int]:
    """`attached` and the newest of the user's other files, up to CHOOSER_FILES, by name; and
    how many of the user's files are left out. One query: the others' names, and how many
    there are (a model instance and a count of their own took half of a chat page's reading)."""
    room = max(CHOOSER_FILES - len(attached), 0)
    others = (
        UserFile.objects.for_user(user)
        .exclude(pk__in=[file.pk for file in attached])
        .order_by("-created_at", "-pk")
        .annotate(others=Window(Count("pk")))
    )
    rows = list(others.values_list("pk", "name", "others")[: max(room, 1)])
    newest = [ChooserFile(pk, name) for pk, name, _ in rows[:room]]
    listed = by_name([*(ChooserFile(file.pk, file.name) for file in attached), *newest])
    others_count = rows[0][2] if rows else 0
    return listed, len(attached) + others_count - len(listed)
