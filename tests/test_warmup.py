"""A web process warms up before its first request (onyx_site/warmup.py), so that request
compiles no template and imports no module. Checked in a process of its own: the test process
has long done both."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys
import sniffio  # the test client's own: it runs ServeStatic's async middleware in a thread
import django
django.setup()
from django.template.loaders import cached
from django.test import Client
from onyx_site.warmup import warm_up

warm_up()
client = Client(HTTP_HOST="localhost")
client.handler.load_middleware()  # a server builds its handler before its first request
compiled = []
get_template = cached.Loader.get_template


def recording(self, name, skip=None):
    if self.cache_key(name, skip) not in self.get_template_cache:
        compiled.append(name)
    return get_template(self, name, skip)


cached.Loader.get_template = recording
modules = set(sys.modules)
status = [client.get(path).status_code for path in ("/login/", "/signup/", "/login/")]
imported = sorted(set(sys.modules) - modules)
print(json.dumps({"status": status, "compiled": compiled, "imported": imported}))
"""


def test_the_first_requests_after_warming_up_compile_and_import_nothing() -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(ROOT),
        "ALLOWED_HOSTS": "localhost",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == [200, 200, 200]
    assert result["compiled"] == []  # page templates and the form widgets' ones
    assert result["imported"] == [], result["imported"]  # context processors, locale formats
