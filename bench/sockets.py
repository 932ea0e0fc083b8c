"""Idle authenticated sockets on one web process: memory per socket, CPU while idle, and what
they cost the requests of everyone else (`/api/auth/me/` p99 with and without them).

Used by bench/run.py --long; the client side lives in this process (asyncio, one task per
socket), the server is a separate process whose /proc figures are read.
"""

import asyncio
import contextlib
import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

import websockets
from http_load import wrk
from stack import Stack

CONNECT_CONCURRENCY = 200


@dataclass(frozen=True)
class SocketFigures:
    sockets: int
    rss_before_kb: int
    rss_after_kb: int
    idle_cpu_percent: float
    me_p99_without_ms: float
    me_p99_with_ms: float
    close_seconds: float

    @property
    def kb_per_socket(self) -> float:
        return (self.rss_after_kb - self.rss_before_kb) / self.sockets


def raise_open_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(65536, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _server_pids(stack: Stack) -> list[int]:
    """The web server process and its children (uvicorn may fork a worker)."""
    pids = [p.popen.pid for p in stack.processes if p.name.startswith("web-")]
    children = []
    for pid in pids:
        with contextlib.suppress(OSError):
            children += [
                int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            ]
    return pids + children


def _rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def _cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / os.sysconf("SC_CLK_TCK")


async def _open(url: str, token: str, count: int) -> list[websockets.ClientConnection]:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one() -> websockets.ClientConnection:
        async with gate:
            socket = await websockets.connect(
                url,
                additional_headers={"Authorization": f"Bearer {token}"},
                # Offers permessage-deflate, as browsers do; the server decides.
                open_timeout=60,
            )
            await socket.recv()  # hello
            return socket

    return list(await asyncio.gather(*(one() for _ in range(count))))


def measure(stack: Stack, token: str, count: int, *, idle_seconds: float = 10) -> SocketFigures:
    raise_open_file_limit()
    return asyncio.run(_measure(stack, token, count, idle_seconds))


async def _measure(stack: Stack, token: str, count: int, idle_seconds: float) -> SocketFigures:
    base = stack.url
    me = f"{base}/api/auth/me/"
    headers = {"Authorization": f"Bearer {token}"}

    def me_p99() -> float:
        return wrk(me, headers=headers, seconds=5, connections=8).p99_ms

    without = await asyncio.to_thread(me_p99)
    pids = _server_pids(stack)
    rss_before = _rss_kb(pids)
    ws_url = base.replace("http://", "ws://") + "/ws/"
    sockets = await _open(ws_url, token, count)
    await asyncio.sleep(2)  # let the server settle after the burst of connects
    rss_after = _rss_kb(pids)
    cpu_start, wall_start = _cpu_seconds(pids), time.monotonic()
    await asyncio.sleep(idle_seconds)
    idle_cpu = (_cpu_seconds(pids) - cpu_start) / (time.monotonic() - wall_start) * 100
    with_sockets = await asyncio.to_thread(me_p99)
    started = time.monotonic()
    await asyncio.gather(*(s.close() for s in sockets))
    close_seconds = time.monotonic() - started
    return SocketFigures(
        sockets=count,
        rss_before_kb=rss_before,
        rss_after_kb=rss_after,
        idle_cpu_percent=idle_cpu,
        me_p99_without_ms=without,
        me_p99_with_ms=with_sockets,
        close_seconds=close_seconds,
    )
