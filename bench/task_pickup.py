"""The task engine (procrastinate on PostgreSQL), measured for what replies need of it.

1. Pickup: a trivial job deferred, then started by a worker process that is waiting for work;
   the time from `defer` to the job's first line, with LISTEN/NOTIFY (as our workers run) and,
   for comparison, with polling alone (every second, the engine's fallback).
2. Concurrency: how many jobs one worker process runs at once on its asyncio loop: N jobs that
   each wait 2 s (a reply waiting on its model), all deferred together.

    .venv/bin/python bench/task_pickup.py [--runs 100] [--jobs 300]

The worker is a subprocess of this script (`--worker`), on a scratch database of the private
PostgreSQL (started with `onyx_site.local_services` unless DATABASE_URL is set). Each job reports
its start with `pg_notify`, timed on CLOCK_MONOTONIC, which every process of the machine shares.
"""

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import procrastinate  # noqa: E402
import psycopg  # noqa: E402
from first_token import _ms, fresh_database, libpq, private_services  # noqa: E402

BENCH_DB = "bench_task_pickup"
QUEUE = "bench"
WAIT_SECONDS = 2.0


def bench_app(url: str) -> procrastinate.App:
    """The engine on the scratch database, with two tasks: one that only says it started, and
    one that waits like a reply waiting on its model."""
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    async def report(kind: str, n: int) -> None:
        await app.connector.execute_query_async(
            "SELECT pg_notify('bench', %(payload)s)", payload=f"{kind} {n} {time.monotonic()!r}"
        )

    @app.task(name="bench.started", queue=QUEUE)
    async def report_start(n: int) -> None:
        await report("start", n)

    @app.task(name="bench.wait", queue=QUEUE)
    async def wait_like_a_reply(n: int) -> None:
        await report("start", n)
        await asyncio.sleep(WAIT_SECONDS)
        await report("end", n)

    return app


async def serve(url: str, concurrency: int, listen_notify: bool) -> None:
    app = bench_app(url)
    async with app.open_async():
        await app.run_worker_async(
            queues=[QUEUE],
            concurrency=concurrency,
            listen_notify=listen_notify,
            fetch_job_polling_interval=1.0,
            delete_jobs="always",
            install_signal_handlers=True,
        )


class Worker:
    def __init__(self, database_url: str, *, concurrency: int, listen_notify: bool) -> None:
        # The worker process, as `manage.py worker` runs one: its own loop, LISTEN, pool.
        self.process = subprocess.Popen(
            [
                *(sys.executable, __file__, "--worker", database_url),
                *("--concurrency", str(concurrency)),
                *([] if listen_notify else ["--polling"]),
            ]
        )

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@asynccontextmanager
async def reports(url: str) -> AsyncIterator["asyncio.Queue[tuple[str, int, float]]"]:
    """What the jobs report with pg_notify: (start or end, job number, when)."""
    queue: asyncio.Queue[tuple[str, int, float]] = asyncio.Queue()
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as listener:
        await listener.execute("LISTEN bench")

        async def pump() -> None:
            async for notify in listener.notifies():
                kind, n, at = notify.payload.split(" ")
                queue.put_nowait((kind, int(n), float(at)))

        pumping = asyncio.create_task(pump())
        try:
            yield queue
        finally:
            # The generator holds the connection until it is cancelled.
            pumping.cancel()
            with suppress(asyncio.CancelledError):
                await pumping


async def pickup(url: str, runs: int, *, listen_notify: bool) -> list[float]:
    worker = Worker(url, concurrency=10, listen_notify=listen_notify)
    latencies = []
    try:
        async with reports(url) as started, bench_app(url).open_async() as app:
            for n in range(-3, runs):  # the first three warm up
                deferred = time.monotonic()
                await app.configure_task("bench.started").defer_async(n=n)
                _, _, at = await asyncio.wait_for(started.get(), 10)
                if n >= 0:
                    latencies.append(at - deferred)
                # A worker waiting for work, as a replies worker mostly is.
                await asyncio.sleep(0.05)
    finally:
        worker.stop()
    return latencies


async def concurrency(url: str, jobs: int) -> tuple[float, float]:
    worker = Worker(url, concurrency=jobs, listen_notify=True)
    try:
        async with reports(url) as reported, bench_app(url).open_async() as app:
            # Warm: the worker is up and listening.
            await app.configure_task("bench.started").defer_async(n=-1)
            await asyncio.wait_for(reported.get(), 30)
            deferred = time.monotonic()
            batch: list[dict[str, Any]] = [{"n": n} for n in range(jobs)]
            await app.tasks["bench.wait"].batch_defer_async(*batch)
            ends: list[float] = []
            most_running = running = 0
            while len(ends) < jobs:
                kind, _, at = await asyncio.wait_for(reported.get(), 60)
                running += 1 if kind == "start" else -1
                most_running = max(most_running, running)
                if kind == "end":
                    ends.append(at)
    finally:
        worker.stop()
    return max(ends) - deferred, float(most_running)


async def main(args: argparse.Namespace, url: str) -> None:
    async with bench_app(url).open_async() as app:
        await app.schema_manager.apply_schema_async()
    notify = await pickup(url, args.runs, listen_notify=True)
    polled = await pickup(url, min(args.runs, 20), listen_notify=False)
    wall, most = await concurrency(url, args.jobs)
    print(f"\nPickup, defer → the job's first line, a waiting worker ({args.runs} runs)")
    print(f"{'':36} {'p50':>9} {'p99':>9}")
    for label, values in (("LISTEN/NOTIFY (our workers)", notify), ("polling every 1 s", polled)):
        print(f"{label:36} {_ms(values, 0.5):7.1f}ms {_ms(values, 0.99):7.1f}ms")
    ratio = _ms(polled, 0.5) / _ms(notify, 0.5)
    print(f"polling is {ratio:.0f}x slower at the median")
    print(f"\nConcurrency: {args.jobs} jobs of {WAIT_SECONDS:g} s each, one worker process")
    print(f"all done {wall:.2f} s after they were deferred; at most {most:.0f} ran at once")
    print(f"= {args.jobs * WAIT_SECONDS / wall:.0f} jobs' worth of waiting per second of wall time")


def run_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--worker", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--polling", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--concurrency", type=int, default=10, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        asyncio.run(serve(args.worker, args.concurrency, listen_notify=not args.polling))
        return
    args.runs, args.jobs = min(args.runs, 1000), min(args.jobs, 1000)
    with private_services(), fresh_database(BENCH_DB) as url:
        asyncio.run(main(args, libpq(url)))


if __name__ == "__main__":
    run_bench()
