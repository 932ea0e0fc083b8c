"""Jobs on the task engine (procrastinate): queued with the row they work on, and taken
again when their worker dies, whatever their queue.

A worker renews its heartbeat every few seconds; once a worker has been silent for
ONYX_WORKER_STALLED_SECONDS, its running jobs are put back in their queue, for any worker
(the same one restarted, or another) to take. Every worker schedules this check; the engine runs
each scheduled occurrence once.
"""

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob
from procrastinate.tasks import Task

UPKEEP_QUEUE = "upkeep"


# Six cron fields: the last one is seconds.
@app.periodic(cron="* * * * * */5", periodic_id="retry-stalled-jobs")
@app.task(name="onyx.retry_stalled_jobs", queue=UPKEEP_QUEUE, queueing_lock="retry-stalled-jobs")
async def retry_stalled_jobs(timestamp: int) -> int:
    stalled = await app.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=settings.ONYX_WORKER_STALLED_SECONDS
    )
    retried = 0
    for job in stalled:
        await app.job_manager.retry_job(job)
        retried += 1
    return retried


def job_is_alive(job_id: int | None) -> bool:
    """Whether a job is still queued or running, so whatever it works on will be finished."""
    if job_id is None:
        return False
    return ProcrastinateJob.objects.filter(id=job_id, status__in=["todo", "doing"]).exists()


def queue_job(
    task: Task[Any, Any, Any], *, on: QuerySet[Any], lock: str | None = None, **kwargs: Any
) -> int:
    """Defer a job for the row `on` selects and record its id there (`job_id`). Call it in the
    transaction that made the row: the job is a row in the same database, so both are
    committed, or rolled back, together."""
    job_id = task.configure(lock=lock).defer(**kwargs) if lock else task.defer(**kwargs)
    on.update(job_id=job_id)
    return job_id
