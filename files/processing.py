"""Reading an uploaded file in a files worker: text out of it, split into passages, stored.

The extraction itself runs in a child process with memory and CPU-time limits
(files/sandbox.py), so a hostile or enormous file fails with a reason instead of stalling the
worker. A file only changes state from the states it may come from:

    uploaded | failed (a retry) | processing (a new attempt) ──▶ processing ──▶ ready | failed
"""

import asyncio
import logging

from django.db import transaction

from accounts.models import User
from files import sandbox
from files.chunking import split_into_chunks
from files.events import file_event
from files.extraction import ExtractedText, ExtractionError
from files.models import FileChunk, UserFile
from onyx_site import events
from onyx_site.async_db import in_db_thread
from onyx_site.text import storable

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
UNEXPECTED_FAILURE = "Something went wrong while reading this file. Try again."
GAVE_UP = "Reading this file was interrupted too many times. Try again."
READABLE_FROM = [UserFile.Status.UPLOADED, UserFile.Status.FAILED, UserFile.Status.PROCESSING]


def _start(owner_id: int, file_id: int) -> UserFile | None:
    owner = User.objects.filter(pk=owner_id).first()
    if owner is None:
        return None
    started = (
        UserFile.objects.for_user(owner)
        .filter(pk=file_id, status__in=READABLE_FROM)
        .update(status=UserFile.Status.PROCESSING, error="")
    )
    if not started:
        return None
    file = UserFile.objects.for_user(owner).filter(pk=file_id).first()
    if file is not None:
        events.publish(owner_id, file_event("file.updated", file))
    return file


def _end(file: UserFile, *, extracted: ExtractedText | None, error: str) -> None:
    """ready with its passages, or failed with a reason; a file deleted meanwhile stays gone."""
    if extracted is not None:
        pieces = split_into_chunks(storable(extracted.text))
        file.status, file.error = UserFile.Status.READY, ""
        file.page_count, file.row_count = extracted.page_count, extracted.row_count
        file.text_chars = len(extracted.text)
    else:
        pieces = []
        file.status, file.error = UserFile.Status.FAILED, error
    with transaction.atomic():
        updated = (
            UserFile.objects.for_user(file.owner)
            .filter(pk=file.pk, status=UserFile.Status.PROCESSING)
            .update(
                status=file.status,
                error=file.error,
                page_count=file.page_count,
                row_count=file.row_count,
                text_chars=file.text_chars,
            )
        )
        if not updated:
            return
        FileChunk.objects.for_user(file.owner).filter(file=file).delete()
        FileChunk.objects.bulk_create(
            [
                FileChunk(owner_id=file.owner_id, file=file, index=n, text=text)
                for n, text in enumerate(pieces)
            ],
            batch_size=1000,
        )
        transaction.on_commit(lambda: _announce(file))


def _announce(file: UserFile) -> None:
    events.publish(file.owner_id, file_event("file.updated", file))
    ready = file.status == UserFile.Status.READY
    events.publish(
        file.owner_id,
        {
            "type": "notification",
            "file_id": file.pk,
            "level": "info" if ready else "error",
            "text": f"“{file.name}” is ready to use."
            if ready
            else f"“{file.name}” could not be read: {file.error}",
        },
    )


async def read_file(owner_id: int, file_id: int, *, attempt: int) -> None:
    """The job of one file (files/tasks.py). `attempt` counts from 0."""
    file = await in_db_thread(_start)(owner_id, file_id)
    if file is None:
        return  # deleted, or already read
    extracted, error = None, ""
    if attempt >= MAX_ATTEMPTS:
        error = GAVE_UP
    else:
        try:
            extracted = await sandbox.extract_stored_file(file.storage_name, file.kind)
        except ExtractionError as failure:
            error = str(failure)
        except asyncio.CancelledError:
            raise  # the worker is shutting down: the job goes back to the queue
        except Exception:
            log.exception("Reading file %s failed", file_id)
            error = UNEXPECTED_FAILURE
    await in_db_thread(_end)(file, extracted=extracted, error=error)
