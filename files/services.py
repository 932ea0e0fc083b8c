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
from files.chunking import split_into_chunks
from files.detection import ACCEPTED_DESCRIPTION, detect_kind
from files.extraction import ExtractionError, extract_text
from files.models import FileChunk, UserFile
from files.naming import clean_display_name, new_storage_name
from files.serializers import UserFileSerializer
from onyx_site import background, events

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


def _file_event(kind: str, file: UserFile) -> dict[str, object]:
    return {"type": kind, "file": dict(UserFileSerializer(file).data)}


def store_upload(*, user: User, uploaded: UploadedFile) -> UploadResult:
    """Keep the bytes under a name the server chooses; the same content twice is one file."""
    name = clean_display_name(uploaded.name or "")
    kind = detect_kind(uploaded.file, name)  # type: ignore[arg-type]
    if kind is None:
        raise UnsupportedFileType
    sha256 = _sha256(uploaded)
    existing = UserFile.objects.for_user(user).filter(sha256=sha256).first()
    if existing is not None:
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
            transaction.on_commit(
                partial(events.publish, user.pk, _file_event("file.created", file))
            )
            transaction.on_commit(partial(submit_processing, user.pk, file.pk))
    except IntegrityError:
        default_storage.delete(stored_as)  # the same content raced in from another upload
        return UploadResult(file=UserFile.objects.for_user(user).get(sha256=sha256), duplicate=True)
    return UploadResult(file=file, duplicate=False)


def submit_processing(owner_id: int, file_id: int) -> None:
    background.loop.submit(process_file(owner_id, file_id))


async def process_file(owner_id: int, file_id: int) -> None:
    file = await background.in_db_thread(_start_processing)(owner_id, file_id)
    if file is None:
        return
    await events.apublish(owner_id, _file_event("file.updated", file))
    file = await background.in_db_thread(_extract_and_store)(file)
    await events.apublish(owner_id, _file_event("file.updated", file))
    ready = file.status == UserFile.Status.READY
    await events.apublish(
        owner_id,
        {
            "type": "notification",
            "file_id": file.pk,
            "level": "info" if ready else "error",
            "text": f"“{file.name}” is ready to use."
            if ready
            else f"“{file.name}” could not be read: {file.error}",
        },
    )


def _start_processing(owner_id: int, file_id: int) -> UserFile | None:
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None:
        return None
    updated = (
        UserFile.objects.for_user(owner)
        .filter(pk=file_id, status__in=[UserFile.Status.UPLOADED, UserFile.Status.FAILED])
        .update(status=UserFile.Status.PROCESSING, error="")
    )
    return UserFile.objects.for_user(owner).filter(pk=file_id).first() if updated else None


def _extract_and_store(file: UserFile) -> UserFile:
    try:
        with default_storage.open(file.storage_name, "rb") as stream:
            extracted = extract_text(file.kind, stream)  # type: ignore[arg-type]
    except ExtractionError as error:
        file.status, file.error = UserFile.Status.FAILED, str(error)
    except Exception:
        file.status = UserFile.Status.FAILED
        file.error = "Something went wrong while reading this file. Try again."
    else:
        pieces = split_into_chunks(extracted.text)
        with transaction.atomic():
            FileChunk.objects.for_user(file.owner).filter(file=file).delete()
            FileChunk.objects.bulk_create(
                [
                    FileChunk(owner_id=file.owner_id, file=file, index=n, text=t)
                    for n, t in enumerate(pieces)
                ]
            )
        file.status, file.error = UserFile.Status.READY, ""
        file.page_count, file.row_count = extracted.page_count, extracted.row_count
        file.text_chars = len(extracted.text)
    # The file may have been deleted meanwhile: update, never resurrect.
    UserFile.objects.for_user(file.owner).filter(pk=file.pk).update(
        status=file.status,
        error=file.error,
        page_count=file.page_count,
        row_count=file.row_count,
        text_chars=file.text_chars,
    )
    return file


def retry_file(*, file: UserFile) -> UserFile:
    if file.status != UserFile.Status.FAILED:
        raise FileNotRetryable("Only a file that failed can be processed again.")
    file.status, file.error = UserFile.Status.UPLOADED, ""
    file.save(update_fields=["status", "error", "updated_at"])
    transaction.on_commit(partial(submit_processing, file.owner_id, file.pk))
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
