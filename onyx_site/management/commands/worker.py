"""`manage.py worker replies|files`: one worker process of the task engine (procrastinate).

A replies worker writes many replies at once on one asyncio loop (they wait on the model and on
Redis, not on the CPU); a files worker reads one or two files at a time, each in a sandboxed
child process. Both also run the engine's upkeep (onyx_site/jobs.py). SIGTERM or Ctrl+C lets
running jobs finish for ONYX_WORKER_GRACEFUL_SECONDS, then hands the rest back to the queue.
"""

import asyncio
import logging
import signal
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from procrastinate import App, PsycopgConnector
from procrastinate.contrib.django import app
from procrastinate.contrib.django.utils import connector_params
from procrastinate.worker import Worker

from onyx_site import gc_tuning
from onyx_site.db_pool import async_pool_checking_when_in_doubt
from onyx_site.jobs import UPKEEP_QUEUE

log = logging.getLogger(__name__)

KINDS = {
    "replies": "ONYX_WORKER_REPLY_CONCURRENCY",
    "files": "ONYX_WORKER_FILE_CONCURRENCY",
}


def worker_app() -> App:
    """The project's app on its own small async pool (the web side defers through Django's
    connection, inside the request's transaction)."""
    connector = PsycopgConnector(
        pool_factory=async_pool_checking_when_in_doubt,
        kwargs=connector_params("default"),
        min_size=1,
        max_size=settings.ONYX_WORKER_ENGINE_CONNECTIONS,
    )
    return app.with_connector(connector)


# The engine takes jobs one at a time per worker, each a round trip to PostgreSQL; under a burst
# of replies those trips queue behind each other, so a replies process runs several workers on
# its one loop, each fetching for its share of the concurrency.
JOBS_PER_FETCHER = 50


async def run_worker(
    queues: list[str],
    *,
    concurrency: int,
    install_signal_handlers: bool = True,
    tune_gc: bool = True,
) -> None:
    """`tune_gc` and `install_signal_handlers` are for a process of its own (not a test's
    thread): they change the whole process."""
    if "replies" in queues:
        from chats.providers.registry import prepare_providers

        await prepare_providers()
    fetchers = max(1, min(4, concurrency // JOBS_PER_FETCHER))
    name = "+".join(queues)
    async with worker_app().open_async() as engine:
        engine.perform_import_paths()  # type: ignore[no-untyped-call]
        if tune_gc:
            gc_tuning.settle_after_start_up()
        workers = [
            Worker(
                app=engine,
                queues=[*queues, UPKEEP_QUEUE],
                name=name if fetchers == 1 else f"{name}.{n}",
                concurrency=concurrency // fetchers + (n < concurrency % fetchers),
                fetch_job_polling_interval=1.0,
                abort_job_polling_interval=1.0,
                update_heartbeat_interval=settings.ONYX_WORKER_HEARTBEAT_SECONDS,
                stalled_worker_timeout=settings.ONYX_WORKER_STALLED_SECONDS,
                shutdown_graceful_timeout=settings.ONYX_WORKER_GRACEFUL_SECONDS,
                delete_jobs="successful",
                install_signal_handlers=False,  # one handler for all of them, below
                # The Django integration wraps each job in a clean-up of Django's connections
                # that runs on asgiref's one process-wide sync thread, twice per job: under a
                # burst, every job's start queues behind every other's. Our jobs never use the
                # ORM on the loop: their database work runs in in_db_thread(), which hands its
                # connection back.
                task_middleware=[],
            )
            for n in range(fetchers)
        ]
        log.info("Worker for %s starting, %d jobs at once", " and ".join(queues), concurrency)
        with _stopping_on_signals(workers) if install_signal_handlers else nullcontext():
            # One worker failing stops the others.
            async with asyncio.TaskGroup() as group:
                for worker in workers:
                    group.create_task(worker.run())  # type: ignore[no-untyped-call]


@contextmanager
def _stopping_on_signals(workers: list[Worker]) -> Iterator[None]:
    """SIGTERM or Ctrl+C stops the workers as the engine's own handler would: running jobs get
    ONYX_WORKER_GRACEFUL_SECONDS, then go back to the queue. A second signal is the default
    one again, for an operator who will not wait."""
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)

    def stop() -> None:
        for sig in signals:
            loop.remove_signal_handler(sig)
        for worker in workers:
            worker.stop()  # type: ignore[no-untyped-call]

    for sig in signals:
        loop.add_signal_handler(sig, stop)
    try:
        yield
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)


class Command(BaseCommand):
    help = "Run a worker for replies or files (see the Procfile)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("--concurrency", type=int, help="Jobs at once (default: settings)")

    def handle(self, *args: Any, kind: str, concurrency: int | None, **options: Any) -> None:
        concurrency = concurrency or getattr(settings, KINDS[kind])
        try:
            import uvloop
        except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
            asyncio.run(run_worker([kind], concurrency=concurrency))
        else:
            uvloop.run(run_worker([kind], concurrency=concurrency))
