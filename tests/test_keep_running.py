"""`make run`'s workers come back when killed (onyx_site/keep_running.py), and still stop
gracefully: a SIGTERM to the whole process group, as honcho sends it, reaches the worker once."""

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent

# A stand-in worker: notes its pid, notes each SIGTERM it gets, and takes a moment to stop after
# the first, as a worker finishing its jobs does (a second SIGTERM in that moment is noted too).
WORKER = """
import os, signal, sys, time
pids, terms = sys.argv[1], sys.argv[2]
stopping = []
def on_term(signum, frame):
    with open(terms, "a") as f:
        f.write(f"{os.getpid()}\\n")
    stopping.append(time.monotonic())
signal.signal(signal.SIGTERM, on_term)
with open(pids, "a") as f:
    f.write(f"{os.getpid()}\\n")
while not stopping or time.monotonic() - stopping[0] < 0.5:
    time.sleep(0.02)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by its parent) still answers; its state says so.
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def _lines(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


@pytest.fixture
def kept(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    pids, terms = tmp_path / "pids", tmp_path / "terms"
    command = [sys.executable, "-c", WORKER, str(pids), str(terms)]
    # In a process group of its own, as honcho starts each line of the Procfile.
    keeper = subprocess.Popen(
        [sys.executable, "-m", "onyx_site.keep_running", *command],
        cwd=ROOT,
        start_new_session=True,
        stderr=subprocess.PIPE,
    )
    wait_until(lambda: _lines(pids), what="the worker to start")
    yield keeper, pids, terms
    if keeper.poll() is None:
        keeper.kill()
        keeper.wait()
    for pid in _lines(pids):
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_a_killed_worker_is_started_again_and_a_group_sigterm_reaches_it_once(
    kept: tuple[subprocess.Popen[bytes], Path, Path],
) -> None:
    keeper, pids, terms = kept
    [first] = _lines(pids)
    os.kill(first, signal.SIGKILL)
    [_, second] = wait_until(lambda: _lines(pids) if len(_lines(pids)) == 2 else None)
    assert keeper.poll() is None
    assert not _alive(first)
    assert _alive(second)

    os.killpg(keeper.pid, signal.SIGTERM)  # what honcho does on Ctrl+C
    assert keeper.wait(timeout=15) == 0
    assert _lines(terms) == [second]  # once, through the keeper: the group's signal missed it
    assert not _alive(second)
    assert keeper.stderr is not None
    assert "killed by SIGKILL; starting it again" in keeper.stderr.read().decode()


def test_the_worker_dies_with_a_keeper_killed_with_sigkill(
    kept: tuple[subprocess.Popen[bytes], Path, Path],
) -> None:
    keeper, pids, _ = kept
    [worker] = _lines(pids)
    keeper.kill()
    keeper.wait()
    wait_until(lambda: not _alive(worker), what="the orphaned worker to be ended by the kernel")


def test_a_command_that_keeps_failing_at_once_is_given_up(tmp_path: Path) -> None:
    failing = [sys.executable, "-c", "import sys; sys.exit(3)"]
    result = subprocess.run(
        [sys.executable, "-m", "onyx_site.keep_running", *failing],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert result.stderr.count("exit status 3; starting it again") == 4
    assert "exit status 3 again; giving up" in result.stderr
