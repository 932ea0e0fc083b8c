"""The production-like stack a benchmark runs against, started and stopped by the benchmark.

Private PostgreSQL and Redis (onyx_site/local_services.py), a scratch database `onyx_bench` and
Redis database 14 of their own, the app under its production server with DEBUG off and the
baseline views mounted (onyx_site/bench_baselines.py), and worker processes from the Procfile.
Everything listens on loopback or unix sockets only.
"""

import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "onyx_bench"
BENCH_REDIS_DB = "14"
LOG_DIR = ROOT / "var" / "log"


def procfile_web_options() -> list[str]:
    """The options the Procfile's `web` line gives uvicorn, but where it listens: a benchmark
    measures the server as production runs it."""
    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    words = shlex.split(line.removeprefix("web:"))
    options = words[words.index("onyx_site.asgi:application") + 1 :]
    kept = []
    while options:
        word = options.pop(0)
        if word in ("--host", "--port"):
            options.pop(0)
        else:
            kept.append(word)
    return kept


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _services_env() -> dict[str, str]:
    subprocess.run([sys.executable, "-m", "onyx_site.local_services", "up"], cwd=ROOT, check=True)
    values = {}
    for line in (ROOT / "var" / "services.env").read_text().splitlines():
        name, _, value = line.partition("=")
        if name:
            values[name] = value
    return values


def _with_database(url: str, name: str) -> str:
    # The socket directory may be the first path segment (percent-encoded): keep it.
    parts = urlsplit(url)
    head = parts.path.rsplit("/", 1)[0]
    return parts._replace(path=f"{head}/{name}").geturl()


def _with_redis_db(url: str, db: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = db
        return f"unix://{parts.path}?{urlencode(query)}"
    return parts._replace(path=f"/{db}").geturl()


def bench_environment(**extra: str) -> dict[str, str]:
    """Production settings (DEBUG off) on the benchmark's own database and Redis db."""
    services = _services_env()
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "onyx_site.settings",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", secrets.token_urlsafe(48)),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": "http://127.0.0.1,http://localhost",
        "ONYX_SSL_REDIRECT": "false",
        "ONYX_HSTS_SECONDS": "0",
        "ONYX_BENCH_BASELINES": "true",
        "ONYX_SEND_RATE_PER_MINUTE": "100000",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": _with_database(services["DATABASE_URL"], BENCH_DB),
        "REDIS_URL": _with_redis_db(services["REDIS_URL"], BENCH_REDIS_DB),
        "PYTHONPATH": str(ROOT),
        **extra,
    }


def prepare_database(env: dict[str, str]) -> None:
    """A fresh `onyx_bench` database, migrated, with static files collected, Redis db flushed."""
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "from django.core.management import call_command\n"
        "name = connection.settings_dict['NAME']\n"
        "with connection._nodb_cursor() as cursor:\n"
        "    cursor.execute(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)')\n"
        "    cursor.execute(f'CREATE DATABASE {name}')\n"
        "call_command('migrate', verbosity=0)\n"
        "call_command('collectstatic', '--noinput', verbosity=0)\n"
        "from onyx_site.live_state import redis_client\n"
        "redis_client().flushdb()\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


@dataclass
class Stack:
    env: dict[str, str]
    web_urls: list[str] = field(default_factory=list)
    processes: list[Process] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.web_urls[0]

    def start(self, name: str, command: str, extra_env: dict[str, str] | None = None) -> Process:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log_path = LOG_DIR / f"bench-{name}.log"
        env = {**self.env, **(extra_env or {})}
        env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}"
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                shlex.split(command), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        process = Process(name=name, popen=popen, log_path=log_path)
        self.processes.append(process)
        return process

    def start_web(self, server: str = "uvicorn") -> str:
        port = free_port()
        commands = {
            "uvicorn": f"uvicorn onyx_site.asgi:application --host 127.0.0.1 --port {port} "
            f"{shlex.join(procfile_web_options())} --log-level warning",
            "granian": f"granian --interface asgi --host 127.0.0.1 --port {port} "
            "--log-level warning onyx_site.asgi:application",
            "daphne": f"daphne -b 127.0.0.1 -p {port} onyx_site.asgi:application",
        }
        process = self.start(f"web-{port}", commands[server])
        url = f"http://127.0.0.1:{port}"
        wait_for_http(f"{url}/healthz", process)
        self.web_urls.append(url)
        return url

    def start_worker(self, kind: str) -> Process:
        process = self.start(
            f"worker-{kind}-{len(self.processes)}", f"python manage.py worker {kind}"
        )
        deadline = time.monotonic() + 30
        while "starting," not in process.log_path.read_text(errors="replace"):
            if time.monotonic() > deadline or process.popen.poll() is not None:
                raise RuntimeError(f"worker {kind} did not start:\n{process.log_path.read_text()}")
            time.sleep(0.1)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()
        self.web_urls.clear()


def wait_for_http(url: str, process: Process, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            pass
        if process.popen.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{process.name} did not start:\n{process.log_path.read_text()}")
        time.sleep(0.1)


@contextmanager
def running_stack(**extra_env: str) -> Iterator[Stack]:
    env = bench_environment(**extra_env)
    prepare_database(env)
    stack = Stack(env=env)
    try:
        yield stack
    finally:
        stack.stop()
