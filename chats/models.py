"""Chats and their messages; every row names its owner and is reached through for_user()."""

from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Q

from onyx_site.ownership import OwnedQuerySet

SEARCH_CONFIG = "english"
ONE_UNFINISHED_REPLY_PER_CHAT = "message_one_unfinished_reply_per_chat"
MAX_SYSTEM_PROMPT_CHARS = 8_000


class ChatSessionQuerySet(OwnedQuerySet["ChatSession"]):
    def visible(self) -> "ChatSessionQuerySet":
        return self.filter(archived=False)


def shown_title(title: str) -> str:
    """A chat's title as pages show it: an untitled chat is a "New chat"."""
    return title or "New chat"


class ChatSession(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200, blank=True)
    pinned = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    # Files this chat answers from; none attached means all of the owner's files.
    files = models.ManyToManyField("files.UserFile", blank=True, related_name="+")
    # The last message of the branch shown: the conversation is this message and its ancestors.
    # Messages are only ever deleted with their chat, so no reference needs a cascade of its own.
    active_leaf = models.ForeignKey(
        "ChatMessage", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+"
    )
    # Which model answers (a key from chats.catalogue); blank means the server's default.
    model = models.CharField(max_length=300, blank=True)
    # Said to the model before the conversation, in every reply of this chat.
    system_prompt = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[ChatSessionQuerySet] = ChatSessionQuerySet.as_manager()  # type: ignore[assignment]
    # Not a column: set by chats.selectors.attach_chat_files before a chat is serialized.
    attached_files: list[dict[str, Any]]

    class Meta:
        indexes = [
            # The order of the sidebar and the API's list: a page is read in order from here,
            # not sorted out of all of a user's chats (4,000 of them took 8 ms a page). It
            # replaced chat_owner_updated, which nothing read any more.
            models.Index(
                fields=["owner", "archived", "-pinned", "-updated_at", "-id"],
                name="chat_list_order",
            ),
            GinIndex(SearchVector("title", config=SEARCH_CONFIG), name="chat_title_search"),
        ]

    def __str__(self) -> str:
        return self.title or f"Chat {self.pk}"

    @property
    def display_title(self) -> str:
        return shown_title(self.title)


@dataclass(frozen=True)
class Siblings:
    """The versions of one turn (messages with the same parent), oldest first, and which of
    them a message is: what a "< 2/3 >" switcher shows."""

    ids: tuple[int, ...]
    index: int  # from 0

    @property
    def position(self) -> int:
        return self.index + 1

    @property
    def count(self) -> int:
        return len(self.ids)

    @property
    def previous_id(self) -> int | None:
        return self.ids[self.index - 1] if self.index > 0 else None

    @property
    def next_id(self) -> int | None:
        return self.ids[self.index + 1] if self.index + 1 < len(self.ids) else None


class ChatMessageQuerySet(OwnedQuerySet["ChatMessage"]):
    pass


class ChatMessage(models.Model):
    class Role(models.TextChoices):
        USER = "user", "User"
        ASSISTANT = "assistant", "Assistant"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        STREAMING = "streaming", "Streaming"
        DONE = "done", "Done"
        STOPPED = "stopped", "Stopped"
        FAILED = "failed", "Failed"

    FINISHED: ClassVar[frozenset[str]] = frozenset({Status.DONE, Status.STOPPED, Status.FAILED})
    UNFINISHED: ClassVar[tuple[str, ...]] = (Status.PENDING, Status.STREAMING)

    chat = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DONE)
    error = models.TextField(blank=True)
    model_name = models.CharField(max_length=200, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    client_id = models.CharField(max_length=64, null=True, blank=True)
    # The message this one follows (None for a chat's first). Messages with the same parent are
    # versions of one turn: editing a question or regenerating a reply adds a sibling, so nothing
    # is overwritten. A child is always created after its parent, so ids grow along a branch.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+"
    )
    feedback = models.SmallIntegerField(
        null=True, blank=True, choices=[(1, "Thumbs up"), (-1, "Thumbs down")]
    )
    feedback_comment = models.TextField(blank=True)
    # [{"n": 1, "file_id": 7, "file_name": "handbook.pdf", "passage": "..."}] for grounded replies.
    citations = models.JSONField(default=list, blank=True)
    # The task-engine job writing this reply (procrastinate_jobs.id), while it is unfinished.
    job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[ChatMessageQuerySet] = ChatMessageQuerySet.as_manager()  # type: ignore[assignment]

    # Set by chats.selectors.ready_to_show() before a message is shown or serialized: its
    # versions, and its citations with where they lead (decided when read: a file may be gone).
    siblings: Siblings
    shown_citations: list[dict[str, Any]]
    # Read along with the row by chats.branches.ancestors(siblings=True): the ids of `siblings`.
    sibling_ids: list[int] | None

    class Meta:
        indexes = [
            models.Index(fields=["chat", "created_at"], name="message_chat_created"),
            GinIndex(SearchVector("content", config=SEARCH_CONFIG), name="message_content_search"),
            # The versions of a chat's first message (siblings with no parent).
            models.Index(fields=["chat"], name="message_chat_roots", condition=Q(parent=None)),
        ]
        constraints = [
            # A client's id for a message it sends is unique within the chat it sends it to:
            # the same id in another chat is another message.
            models.UniqueConstraint(
                fields=["chat", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_client_id_unique_per_chat",
            ),
            # One reply being written per chat (chats/services.py refuses a second with 409).
            # Also the index of the few unfinished rows, checked on every chat load.
            models.UniqueConstraint(
                fields=["chat"],
                condition=Q(status__in=["pending", "streaming"]),
                name=ONE_UNFINISHED_REPLY_PER_CHAT,
            ),
            models.CheckConstraint(
                condition=Q(feedback__isnull=True) | Q(feedback__in=[1, -1]),
                name="message_feedback_is_plus_or_minus_one",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} message {self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class ModelConnection(models.Model):
    """An OpenAI-compatible server an operator connected in the admin, and the models of it that
    users may choose. Not user data: every user sees the enabled ones. The API key is never shown
    again once saved (chats/admin.py)."""

    name = models.CharField(max_length=100, unique=True)
    # Not a URLField: its validator refuses host names without a dot, like a container's
    # "http://ollama:11434/v1". The admin form checks the scheme and host instead.
    base_url = models.CharField(
        max_length=500, help_text="The server's OpenAI-compatible address, usually ending in /v1."
    )
    api_key = models.CharField(max_length=500, blank=True)
    model_names = models.JSONField(
        default=list, blank=True, help_text="The models users may choose, as the server names them."
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
