"""Everything that changes a user's files: store an upload, process it, retry, delete."""

import hashlib
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpRequest

from accounts.models import User
from files import tasks
from files.detection import ACCEPTED_DESCRIPTION, detect_kind
from files.events import file_event
from files.models import UserFile
from files.naming import clean_display_name, new_storage_name
from onyx_site import events, jobs

MB = 1024 * 1024


class UnsupportedFileType(Exception):
    def __init__(self) -> None:
        super().__init__(f"This kind of file can't be read. Accepted: {ACCEPTED_DESCRIPTION}.")


class FileNotRetryable(Exception):
    pass


@dataclass(frozen=True)
class UploadResult:
    file: UserFile
    duplicate: bool


def _megabytes(size: int) -> str:
    return f"{size / MB:.1f} MB"


def upload_allowance(user: User) -> tuple[int, str]:
    """How many bytes the next upload may have, and what to say when it has more."""
    quota = settings.ONYX_USER_QUOTA_MB * MB
    used = UserFile.objects.for_user(user).aggregate(total=Sum("size"))["total"] or 0
    per_file = settings.ONYX_MAX_UPLOAD_MB * MB
    if quota - used < per_file:
        return max(quota - used, 0), (
            f"Not enough storage left: you use {_megabytes(used)} of your "
            f"{_megabytes(quota)}. Delete some files to make room."
        )
    return per_file, f"This file is larger than the {settings.ONYX_MAX_UPLOAD_MB} MB limit."


def upload_allowance_for_request(request: HttpRequest) -> tuple[int, str]:
    user = request.user
    if not isinstance(user, User):
        return 0, "Sign in to upload files."
    return upload_allowance(user)


def _sha256(uploaded: UploadedFile) -> str:
    digest = hashlib.sha256()
    for piece in uploaded.chunks():
        digest.update(piece)
    uploaded.seek(0)
    return digest.hexdigest()


def can_retry(file: UserFile) -> bool:
    """Failed, or stuck: waiting or being read with no job left to finish it."""
    if file.status == UserFile.Status.FAILED:
        return True
    unfinished = file.status in (UserFile.Status.UPLOADED, UserFile.Status.PROCESSING)
    return unfinished and not jobs.job_is_alive(file.job_id)


def store_upload(*, user: User, uploaded: UploadedFile) -> UploadResult:
    """Keep the bytes under a name the server chooses; the same content twice is one file
    (uploading a file that failed, or got stuck, again reads it again)."""
    name = clean_display_name(uploaded.name or "")
    kind = detect_kind(uploaded.file, name)  # type: ignore[arg-type]
    if kind is None:
        raise UnsupportedFileType
    sha256 = _sha256(uploaded)
    existing = UserFile.objects.for_user(user).filter(sha256=sha256).first()
    if existing is not None:
        if can_retry(existing):
            existing = retry_file(file=existing)
        return UploadResult(file=existing, duplicate=True)
    stored_as = default_storage.save(new_storage_name(user.pk), uploaded)
    try:
        with transaction.atomic():
            file = UserFile.objects.create(
                owner=user,
                name=name,
                storage_name=stored_as,
                size=uploaded.size or 0,
                kind=kind.kind,
                content_type=kind.content_type,
                sha256=sha256,
            )
            tasks.queue_reading(file)
            transaction.on_commit(
                partial(events.publish, user.pk, file_event("file.created", file))
            )
    except IntegrityError:
        default_storage.delete(stored_as)  # the same content raced in from another upload
        return UploadResult(file=UserFile.objects.for_user(user).get(sha256=sha256), duplicate=True)
    return UploadResult(file=file, duplicate=False)


def retry_file(*, file: UserFile) -> UserFile:
    if not can_retry(file):
        if file.status == UserFile.Status.READY:
            raise FileNotRetryable("This file was read already; there is nothing to retry.")
        raise FileNotRetryable("This file is being read now; wait for it to finish.")
    with transaction.atomic():
        file.status, file.error = UserFile.Status.UPLOADED, ""
        file.save(update_fields=["status", "error", "updated_at"])
        tasks.queue_reading(file)
        transaction.on_commit(
            partial(events.publish, file.owner_id, file_event("file.updated", file))
        )
    return file


def delete_file(*, file: UserFile) -> None:
    """Remove the bytes, the chunks and the row; chats that used it just stop seeing it."""
    owner_id, file_id, stored_as = file.owner_id, file.pk, file.storage_name
    with transaction.atomic():
        file.delete()
        transaction.on_commit(partial(default_storage.delete, stored_as))
        transaction.on_commit(
            partial(events.publish, owner_id, {"type": "file.deleted", "file_id": file_id})
        )
