"""A web process, once warmed up, leaves its start-up heap out of garbage collection
(onyx_site/gc_tuning.py). Checked in a process of its own: it changes the whole process."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, json
import django
django.setup()
from onyx_site.warmup import warm_up
before = gc.get_freeze_count()
warm_up()
print(json.dumps({"before": before, "frozen": gc.get_freeze_count()}))
"""


def test_warming_up_freezes_the_start_up_heap() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["before"] == 0
    assert result["frozen"] > 100_000  # Django and every library, no longer walked


SOCKETS_PROBE = """
import gc, json, weakref
from onyx_site import gc_tuning

gc_tuning.FREEZE_EVERY_OPENED = 10
gc_tuning.COLLECT_EVERY_SOCKETS = 50
report = {}
gc_tuning.socket_opened()
report["frozen_before_settling"] = gc.get_freeze_count()
gc_tuning.settle_after_start_up()

class Socket:
    pass

def open_one():
    socket = Socket()
    socket.me = socket  # a reference cycle, as a closed socket leaves some
    return socket

sockets = []
for _ in range(9):
    sockets.append(open_one())
    gc_tuning.socket_opened()
report["young_after_9"] = gc.get_count()[0] > 0
before = gc.get_freeze_count()
sockets.append(open_one())
gc_tuning.socket_opened()  # the 10th: the batch is frozen
report["frozen_batch"] = gc.get_freeze_count() - before
freed = []
refs = [weakref.ref(s, freed.append) for s in sockets]
sockets.clear()  # closed: only their cycles keep them
gc.collect()  # a full collection no longer walks them, so their cycles stay
report["freed_by_a_full_collection"] = len(freed)
for _ in range(50 - 10 - 1):
    gc_tuning.socket_closed()
report["freed_before_the_50th"] = len(freed)
gc_tuning.socket_closed()  # the 50th socket opened or closed since: everything is collected
report["freed_after_the_50th"] = len(freed)
report["frozen_again"] = gc.get_freeze_count() > 0
print(json.dumps(report))
"""


def test_open_sockets_are_frozen_in_batches_and_their_cycles_collected_later() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SOCKETS_PROBE],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    report = json.loads(out.strip().splitlines()[-1])
    assert report.pop("frozen_batch") >= 10
    assert report == {
        "frozen_before_settling": 0,  # a process that never warmed up is left alone
        "young_after_9": True,
        "freed_by_a_full_collection": 0,
        "freed_before_the_50th": 0,
        "freed_after_the_50th": 10,
        "frozen_again": True,
    }
