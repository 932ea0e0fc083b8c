"""A web process as the Procfile runs it (uvicorn serving onyx_site.asgi), on the test
database and Redis: several of them make a deployment that grows sideways."""

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from django.conf import settings

from tests.waiting import wait_until
from tests.workers import ROOT, test_database_url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WebProcess:
    def __init__(self, **env: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log_dir = ROOT / "var" / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path: Path = log_dir / f"test-web-{os.getpid()}-{self.port}.log"
        environment = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "DATABASE_POOL_MAX": "4",
            **env,
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "onyx_site.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--no-access-log",
            "--ws-per-message-deflate",
            "false",
        ]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def wait_ready(self) -> None:
        wait_until(
            lambda: self._answers() or self.process.poll() is not None,
            timeout=30,
            what=f"the web process on port {self.port} to answer",
        )
        assert self.process.poll() is None, self.log()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
