"""The file queue: each upload is read by a job in a files worker, taken over if it dies."""

from procrastinate import JobContext, RetryStrategy
from procrastinate.contrib.django import app

from files import processing
from files.models import UserFile
from onyx_site.jobs import queue_job

FILE_QUEUE = "files"


# A files worker stopped with SIGTERM hands its job back (the task is cancelled) and the retry
# queues it again; extraction failures never reach the engine, they end the file as failed.
@app.task(
    name="files.read_file",
    queue=FILE_QUEUE,
    pass_context=True,
    retry=RetryStrategy(max_attempts=processing.MAX_ATTEMPTS),
)
async def read_file(context: JobContext, owner_id: int, file_id: int) -> None:
    await processing.read_file(owner_id, file_id, attempt=context.job.attempts)


def queue_reading(file: UserFile) -> None:
    """Queue the reading of a file, in the transaction that created (or reset) it; one reading
    of a file runs at a time."""
    file.job_id = queue_job(
        read_file,
        on=UserFile.objects.for_user(file.owner).filter(pk=file.pk),
        lock=f"file-{file.pk}",
        owner_id=file.owner_id,
        file_id=file.pk,
    )
