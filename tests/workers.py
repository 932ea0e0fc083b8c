"""Real workers of the task engine for tests: in a thread of the test process, or as processes.

A thread worker serves tests that only need replies and files to be processed. A process worker
is the real thing as the Procfile runs it, for tests that kill it (SIGKILL) or stop it (SIGTERM).
Both work against the test database, so they need committed data (transactional tests).
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from onyx_site.management.commands.worker import run_worker
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def worker_thread(
    queues: tuple[str, ...] = ("replies", "files"), *, concurrency: int = 20
) -> Iterator[None]:
    """Run a worker on its own event loop in a thread; on exit, stop it gracefully (running
    jobs finish first) and wait for it."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    main: asyncio.Task[None] | None = None

    def serve() -> None:
        nonlocal main
        asyncio.set_event_loop(loop)
        main = loop.create_task(
            run_worker(
                list(queues),
                concurrency=concurrency,
                install_signal_handlers=False,
                tune_gc=False,
            )
        )
        loop.call_soon(started.set)
        try:
            loop.run_until_complete(main)
        except asyncio.CancelledError:
            pass
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()

    thread = threading.Thread(target=serve, name="test-worker", daemon=True)
    thread.start()
    started.wait(timeout=10)
    try:
        yield
    finally:
        assert main is not None
        loop.call_soon_threadsafe(main.cancel)  # the engine then stops gracefully
        thread.join(timeout=60)
        if thread.is_alive():
            raise RuntimeError("The test worker did not stop within 60 s.")


def test_database_url() -> str:
    """DATABASE_URL for a child process, naming the test database this run created."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    host = db["HOST"] or ""
    port = db["PORT"] or ""
    name = quote(db["NAME"], safe="")
    if host.startswith("/"):
        return f"postgres://{user}@/{name}?host={quote(host, safe='')}" + (
            f"&port={port}" if port else ""
        )
    return f"postgres://{user}@{host}:{port or 5432}/{name}"


class WorkerProcess:
    """`manage.py worker KIND` as the Procfile runs it, on the test database and Redis."""

    def __init__(self, kind: str, **env: str) -> None:
        self.kind = kind
        log_dir = ROOT / "var" / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"test-worker-{kind}-{os.getpid()}-{id(self)}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "DATABASE_POOL_MAX": "4",
            "ONYX_WORKER_HEARTBEAT_SECONDS": "1",
            "ONYX_WORKER_STALLED_SECONDS": "4",
            "ONYX_WORKER_GRACEFUL_SECONDS": "2",
            **env,
        }
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "worker", kind],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> None:
        wait_until(
            lambda: "starting," in self.log() or self.process.poll() is not None,
            timeout=30,
            what=f"the {self.kind} worker to start",
        )
        assert self.process.poll() is None, self.log()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.terminate()
