"""Throwaway Redis and PostgreSQL servers that a test may stop and start at will, and the app
served by uvicorn in its own process against them: outages are tested for real without touching
the private instances every other test uses."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from onyx_site import local_services
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def scratch_directory() -> Iterator[Path]:
    """A short path under /tmp (socket paths are limited) that the postgres user can reach."""
    path = Path(tempfile.mkdtemp(prefix="onyx-outage-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class ThrowawayRedis:
    """redis-server on a unix socket, with an append-only file as `make run` configures it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def start(self) -> None:
        options = {
            "port": "0",
            "unixsocket": str(self.socket),
            "unixsocketperm": "700",
            "dir": str(self.directory),
            "save": "",
            "appendonly": "yes",
            "appendfsync": "always",
        }
        arguments = [part for name, value in options.items() for part in (f"--{name}", value)]
        self.process = subprocess.Popen(
            ["redis-server", *arguments],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(
            lambda: local_services.redis_answers_ping(self.socket),
            timeout=15,
            what="the throwaway Redis to answer",
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: Redis saves its append-only file and exits
            self.process.wait(timeout=15)


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own, migrated, on a unix socket."""

    def __init__(self, directory: Path) -> None:
        base = directory / "pg"
        base.mkdir()
        (base / "run").mkdir()
        self.layout = local_services.PgLayout(
            base=base, socket_dir=base / "run", log_file=base / "postgres.log", in_tmp=True
        )
        self.layout.log_file.touch()
        local_services.give_to_postgres(base, base / "run", self.layout.log_file)
        self.bindir = local_services.ensure_pg_bindir()
        local_services.initdb(self.bindir, self.layout)

    @property
    def url(self) -> str:
        return self.layout.database_url

    def start(self) -> None:
        local_services.start_postgres(self.bindir, self.layout)
        local_services.wait_until_pg_ready(self.bindir, self.layout)
        local_services.ensure_database(self.bindir, self.layout)

    def stop(self) -> None:
        local_services.stop_postgres(self.bindir, self.layout)

    @property
    def running(self) -> bool:
        return local_services.pg_running_pid(self.layout) is not None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@contextmanager
def served_app(directory: Path, *, ready_path: str = "/login/", **env: str) -> Iterator[str]:
    """uvicorn serving the app in a process of its own, as the Procfile runs it; yields its URL
    once `ready_path` answers 200. `env` adds to the test run's environment (and may name other
    settings in DJANGO_SETTINGS_MODULE)."""
    port = _free_port()
    log_path = directory / "uvicorn.log"
    where = ["--host", "127.0.0.1", "--port", str(port), "--lifespan", "off"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "onyx_site.asgi:application", *where],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"

    def answering() -> bool:
        assert process.poll() is None, log_path.read_text(errors="replace")
        try:
            return httpx.get(f"{url}{ready_path}", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_until(answering, timeout=60, what="the app server to answer")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def browser_session(url: str, email: str, password: str) -> httpx.Client:
    """An httpx client signed in through the login form, CSRF token and all."""
    client = httpx.Client(base_url=url, timeout=30)
    page = client.get("/login/").text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None, page
    response = client.post(
        "/login/",
        data={"email": email, "password": password, "csrfmiddlewaretoken": token.group(1)},
    )
    assert response.status_code == 302, response.text
    return client


def api_access_token(url: str, email: str, password: str) -> str:
    response = httpx.post(
        f"{url}/api/auth/token/", json={"email": email, "password": password}, timeout=30
    )
    assert response.status_code == 200, response.text
    token: Any = response.json()["access"]
    return str(token)
