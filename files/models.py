"""The user's files and the text chunks retrieval searches; both reached through for_user()."""

from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models

from onyx_site.ownership import OwnedQuerySet

SEARCH_CONFIG = "english"


class UserFileQuerySet(OwnedQuerySet["UserFile"]):
    def ready(self) -> "UserFileQuerySet":
        return self.filter(status=UserFile.Status.READY)


class UserFile(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=255)  # as shown to the user, cleaned
    storage_name = models.CharField(max_length=255, unique=True)  # chosen by the server
    size = models.PositiveBigIntegerField()
    kind = models.CharField(max_length=16)  # text, markdown, csv, json, html, pdf, docx, xlsx
    content_type = models.CharField(max_length=120)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UPLOADED)
    error = models.TextField(blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    text_chars = models.PositiveIntegerField(default=0)
    # The task-engine job reading this file (procrastinate_jobs.id).
    job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[UserFileQuerySet] = UserFileQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes = [models.Index(fields=["owner", "-created_at"], name="file_owner_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "sha256"], name="file_content_unique_per_owner"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FileChunkQuerySet(OwnedQuerySet["FileChunk"]):
    pass


class FileChunk(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.ForeignKey(UserFile, on_delete=models.CASCADE, related_name="+")
    index = models.PositiveIntegerField()
    text = models.TextField()

    objects: ClassVar[FileChunkQuerySet] = FileChunkQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes = [GinIndex(SearchVector("text", config=SEARCH_CONFIG), name="chunk_text_search")]
        constraints = [
            models.UniqueConstraint(fields=["file", "index"], name="chunk_index_unique_per_file")
        ]

    def __str__(self) -> str:
        return f"chunk {self.index} of file {self.file_id}"
