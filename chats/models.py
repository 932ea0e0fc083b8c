"""Chats and their messages; every row names its owner and is reached through for_user()."""

from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models
from django.db.models import Q

from onyx_site.ownership import OwnedQuerySet

SEARCH_CONFIG = "english"
ONE_UNFINISHED_REPLY_PER_CHAT = "message_one_unfinished_reply_per_chat"


class ChatSessionQuerySet(OwnedQuerySet["ChatSession"]):
    def visible(self) -> "ChatSessionQuerySet":
        return self.filter(archived=False)


class ChatSession(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200, blank=True)
    pinned = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    # Files this chat answers from; none attached means all of the owner's files.
    files = models.ManyToManyField("files.UserFile", blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[ChatSessionQuerySet] = ChatSessionQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes = [
            models.Index(fields=["owner", "-updated_at"], name="chat_owner_updated"),
            GinIndex(SearchVector("title", config=SEARCH_CONFIG), name="chat_title_search"),
        ]

    def __str__(self) -> str:
        return self.title or f"Chat {self.pk}"

    @property
    def display_title(self) -> str:
        return self.title or "New chat"


class ChatMessageQuerySet(OwnedQuerySet["ChatMessage"]):
    def current(self) -> "ChatMessageQuerySet":
        """The conversation as shown: without replies replaced by a regeneration."""
        return self.filter(superseded=False)


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
    # An assistant message answers one user message; regenerating adds a sibling and marks the
    # earlier reply superseded, so nothing is overwritten.
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    superseded = models.BooleanField(default=False)
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

    class Meta:
        indexes = [
            models.Index(fields=["chat", "created_at"], name="message_chat_created"),
            GinIndex(SearchVector("content", config=SEARCH_CONFIG), name="message_content_search"),
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
