"""Instructions per request of the API's message list, a page of 50 messages of a 10,000-message
chat against a chat of 10, counted by valgrind (`apt-get install valgrind`): unlike time, the
count does not move with the machine's load, so a change of a few per cent shows.

    .venv/bin/python bench/instructions.py

Each chat is read in-process by Django's test client under `valgrind --tool=callgrind`, once
with 40 requests and once with none after the same start-up and warm-up; the difference, over
40, is one request's instructions in the web process (PostgreSQL's are its own). A few minutes.
"""

import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run
from stack import ROOT, running_stack

REQUESTS = 40

CLIENT = """
import os, sys
import django
django.setup()
from django.test import Client

client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION="Bearer " + os.environ["BENCH_TOKEN"])
url = f"/api/chats/{sys.argv[1]}/messages/"
for _ in range(5 + int(sys.argv[2])):
    assert client.get(url).status_code == 200
"""


def _instructions(env: dict[str, str], chat: int, requests: int) -> int:
    output = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            CLIENT,
            str(chat),
            str(requests),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    return int(re.search(r"Collected : (\d+)", output).group(1))  # type: ignore[union-attr]


def per_request(env: dict[str, str], chat: int) -> float:
    with ThreadPoolExecutor(2) as pool:
        some, none = pool.map(lambda n: _instructions(env, chat, n), (REQUESTS, 0))
    return (some - none) / REQUESTS


def main() -> None:
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install -y valgrind")
    with running_stack(ONYX_JWT_ACCESS_MINUTES="120") as stack:
        data = run.seed(stack)
        stack.start_web()
        token = run.access_token(stack.url, data["users"]["reader"], data["password"])
        env = {**stack.env, "BENCH_TOKEN": token, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
        env.setdefault("ALLOWED_HOSTS", "127.0.0.1")
        big = per_request(env, data["chats"]["10000"])
        small = per_request(env, data["chats"]["10"])
    print(
        f"GET /api/chats/{{id}}/messages/, 10,000 vs 10, instructions a request: "
        f"{big / 1e6:.2f}M vs {small / 1e6:.2f}M, {big / small:.2f}×, "
        f"{(big - small) / (50 - 10):,.0f} a message more",
        flush=True,
    )


if __name__ == "__main__":
    main()
