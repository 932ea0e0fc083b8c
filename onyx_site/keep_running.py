"""`python -m onyx_site.keep_running COMMAND…`: run COMMAND, and start it again when it dies
on its own.

`make run` runs the workers through this (`ONYX_KEEP_RUNNING` in the Procfile): honcho stops
every process when one exits, so a worker killed mid-job would take the web process with it.
Here it comes back and the task engine hands it its job again. In production the process
manager restarts workers instead (docs/DEPLOY.md).

SIGTERM or SIGINT reaches COMMAND once, from here, and this then exits as COMMAND does.
COMMAND runs in a session of its own because honcho signals the whole process group: a second
SIGTERM would cut the worker's graceful stop short.
"""

import signal
import subprocess
import sys
import time
from types import FrameType

from onyx_site.process_ties import die_with_parent

RESTART_DELAY_SECONDS = 1.0
# A command that keeps dying this soon after starting is broken, not unlucky: give up.
QUICK_EXIT_SECONDS = 10.0
QUICK_EXITS_BEFORE_GIVING_UP = 5


def _how_it_ended(returncode: int) -> str:
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit status {returncode}"


def keep_running(command: list[str]) -> int:
    stop_signal: int | None = None
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stop_signal
        if stop_signal is None:
            stop_signal = signum
            if child is not None and child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    quick_exits = 0
    while True:
        started = time.monotonic()
        child = subprocess.Popen(command, start_new_session=True, preexec_fn=die_with_parent)
        if stop_signal is not None:  # it came while the child was being started
            child.send_signal(stop_signal)
        returncode = child.wait()
        if stop_signal is not None:
            return returncode if returncode >= 0 else 128 - returncode
        quick_exits = quick_exits + 1 if time.monotonic() - started < QUICK_EXIT_SECONDS else 0
        name = " ".join(command)
        if quick_exits >= QUICK_EXITS_BEFORE_GIVING_UP:
            print(f"{name}: {_how_it_ended(returncode)} again; giving up", file=sys.stderr)
            return returncode if returncode > 0 else 1
        print(f"{name}: {_how_it_ended(returncode)}; starting it again", file=sys.stderr)
        sys.stderr.flush()
        time.sleep(RESTART_DELAY_SECONDS)
        if stop_signal is not None:
            return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit("usage: python -m onyx_site.keep_running COMMAND [ARG…]")
    sys.exit(keep_running(sys.argv[1:]))
