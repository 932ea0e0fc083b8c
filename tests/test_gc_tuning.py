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
