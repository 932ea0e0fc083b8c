"""First token: how much later a reply's first words reach an open socket through Onyx than a
direct client of the same model server sees them, for one user and for many at once.

Everything runs on this machine, on loopback: a local OpenAI-compatible server at a fixed pace
(tests/fake_openai_server.py, in a process of its own: bench/model_process.py), the app under
uvicorn and one replies worker (subprocesses, DEBUG off, on a scratch database and Redis
database), and the clients (in this process). Private PostgreSQL and Redis are started with
`onyx_site.local_services` unless DATABASE_URL and REDIS_URL are set.

    .venv/bin/python bench/first_token.py                # both modes
    .venv/bin/python bench/first_token.py --mode single --runs 100
    .venv/bin/python bench/first_token.py --mode load --users 50 --rounds 3

One user: each run times a direct client of the model server, then a message sent through Onyx
(POST → first `message.delta` on a socket opened before), and reports the overhead with its two
halves: POST → the model request reaches the model server, and the model's first chunk sent →
the delta received on the socket. Load: every user has two sockets open and all send at once.
"""

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import environ  # noqa: E402
import httpx  # noqa: E402
import openai  # noqa: E402
import psycopg  # noqa: E402
import psycopg.conninfo  # noqa: E402
import redis  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.typing import Origin  # noqa: E402

from tests.fake_openai_server import Script  # noqa: E402
from tests.redis_db import with_redis_db  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from model_process import ModelProcess  # noqa: E402
from stack import procfile_web_options  # noqa: E402

BENCH_DB = "bench_first_token"
BENCH_REDIS_DB = "14"  # the tests use 15 and `make run` 0
PASSWORD = "bench password, long enough 42"
# The model: first token 20 ms after the request, then one every 10 ms.
MODEL_PACE = Script(tuple(f"mot{n} " for n in range(20)), first_delay=0.02, pace=0.01)
LOAD_TIMEOUT_SECONDS = 60


# --- Processes ------------------------------------------------------------------------------------


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


@contextmanager
def private_services() -> Iterator[None]:
    """Use DATABASE_URL / REDIS_URL if given, else start the checkout's private services."""
    if os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"):
        yield
        return
    owner = f"bench-{os.getpid()}"
    services = [sys.executable, "-m", "onyx_site.local_services"]
    subprocess.run([*services, "up", "--owner", owner], cwd=ROOT, check=True)
    for line in (ROOT / "var" / "services.env").read_text().splitlines():
        name, _, value = line.partition("=")
        if name and not name.startswith("#"):
            os.environ[name] = value
    try:
        yield
    finally:
        subprocess.run([*services, "down", "--owner", owner], cwd=ROOT, check=False)


def _with_database(url: str, name: str) -> str:
    """The same server, another database (the last part of the path: a socket directory may
    come before it, as django-environ writes it)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"{parts.path.rsplit('/', 1)[0]}/{name}"))


def libpq(url: str) -> str:
    """A DATABASE_URL as libpq reads it (django-environ's form puts a socket directory where
    libpq expects a database name)."""
    config = environ.Env.db_url_config(url)
    return psycopg.conninfo.make_conninfo(
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        dbname=config["NAME"],
    )


@contextmanager
def scratch_database() -> Iterator[str]:
    with fresh_database(BENCH_DB) as url:
        yield url


@contextmanager
def fresh_database(name: str) -> Iterator[str]:
    """A new, empty database on the server of DATABASE_URL, dropped afterwards; its URL."""
    admin = libpq(os.environ["DATABASE_URL"])
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")
    try:
        yield _with_database(os.environ["DATABASE_URL"], name)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def app_environment(database_url: str, redis_url: str, model_url: str) -> dict[str, str]:
    """Production-like settings: DEBUG off, a real secret, bounded pools."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "onyx_site.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "ONYX_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "ONYX_LLM_BASE_URL": model_url,
        "ONYX_LLM_MODEL": "bench-model",
        "ONYX_SEND_RATE_PER_MINUTE": "100000",
        "LOG_LEVEL": "WARNING",
    }


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(done.stderr)
    return done.stdout


CREATE_USERS = """
import json
from accounts.models import User
from chats.models import ChatSession
made = []
for n in range({count}):
    user = User.objects.create_user(email=f"bench{{n}}@example.com", password={password!r})
    made.append({{"email": user.email, "chat_id": ChatSession.objects.create(owner=user).pk}})
print(json.dumps(made))
"""


@dataclass
class Running:
    base_url: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(what: str, ready: Any, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 401
    except httpx.HTTPError:
        return False


def start_app(env: dict[str, str], *, replies_workers: int) -> Running:
    """uvicorn (one process, as the Procfile's `web`) and replies workers."""
    logs = ROOT / "var" / "log"
    logs.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    running = Running(base_url=f"http://127.0.0.1:{port}")
    web_log = logs / "bench-web.log"
    with web_log.open("wb") as out:
        web = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "onyx_site.asgi:application"),
                *("--host", "127.0.0.1", "--port", str(port)),
                *procfile_web_options(),
                *("--log-level", "warning"),
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running.processes.append(web)
    workers = []
    for n in range(replies_workers):
        log = logs / f"bench-worker-{n}.log"
        with log.open("wb") as out:
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "worker", "replies"],
                cwd=ROOT,
                env={**env, "LOG_LEVEL": "INFO"},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        running.processes.append(worker)
        workers.append((worker, log))
    _wait_for("uvicorn", lambda: _answers(f"{running.base_url}/api/auth/me/"), web, web_log)
    for worker, log in workers:
        _wait_for("a worker", lambda log=log: "starting," in log.read_text(), worker, log)
    return running


# --- Clients --------------------------------------------------------------------------------------


@dataclass
class Socket:
    """One open /ws/ of a user: when each reply's first delta came, what seqs came, and whether
    any event was about another user's chat."""

    chat_id: int
    connection: ClientConnection
    hello_seq: int
    first_delta: dict[int, float] = field(default_factory=dict)
    completed: dict[int, asyncio.Event] = field(default_factory=dict)
    seqs: list[int] = field(default_factory=list)
    crossed: int = 0
    error: str = ""

    def completion(self, message_id: int) -> asyncio.Event:
        return self.completed.setdefault(message_id, asyncio.Event())

    async def read(self) -> None:
        try:
            async for raw in self.connection:
                now = time.monotonic()
                event = json.loads(raw)
                if "seq" in event:
                    self.seqs.append(event["seq"])
                chat_id = event.get("chat_id", event.get("chat", {}).get("id"))
                if chat_id is not None and chat_id != self.chat_id:
                    self.crossed += 1
                kind = event["type"]
                if kind == "message.delta":
                    self.first_delta.setdefault(event["message_id"], now)
                elif kind in ("message.completed", "message.failed"):
                    self.completion(event["message"]["id"]).set()
        except Exception as error:  # counted and shown: a reader that died is not a lost event
            self.error = repr(error)

    def missed_any(self) -> bool:
        """Whether a seq never came. Two processes publishing for one user at once can deliver
        their events out of order (the page holds an early one back); that is not a loss."""
        if not self.seqs:
            return False
        expected = set(range(self.hello_seq + 1, max(self.seqs) + 1))
        if os.environ.get("BENCH_DEBUG") and set(self.seqs) != expected:
            print("missing", sorted(expected - set(self.seqs)), "of", self.seqs)
        return set(self.seqs) != expected


@dataclass
class BenchUser:
    email: str
    chat_id: int
    access: str = ""
    sockets: list[Socket] = field(default_factory=list)


async def sign_in(http: httpx.AsyncClient, user: BenchUser) -> None:
    response = await http.post("/api/auth/token/", json={"email": user.email, "password": PASSWORD})
    response.raise_for_status()
    user.access = response.json()["access"]


async def open_socket(base_url: str, user: BenchUser) -> Socket:
    connection = await connect(
        base_url.replace("http://", "ws://") + "/ws/",
        origin=Origin(base_url),
        additional_headers={"Authorization": f"Bearer {user.access}"},
        max_queue=None,
    )
    hello = json.loads(await connection.recv())
    socket = Socket(chat_id=user.chat_id, connection=connection, hello_seq=hello["seq"])
    socket.reader = asyncio.create_task(socket.read())  # type: ignore[attr-defined]
    user.sockets.append(socket)
    return socket


@dataclass(frozen=True)
class Sent:
    started: float
    answered: float
    reply_id: int
    content: str


async def send(http: httpx.AsyncClient, user: BenchUser, content: str) -> Sent:
    """Send a message: when it was sent and answered, and the reply's id."""
    started = time.monotonic()
    response = await http.post(
        f"/api/chats/{user.chat_id}/messages/",
        json={"content": content},
        headers={"Authorization": f"Bearer {user.access}"},
    )
    response.raise_for_status()
    return Sent(started, time.monotonic(), int(response.json()["reply"]["id"]), content)


async def direct_first_token(client: openai.AsyncOpenAI, content: str) -> tuple[float, float]:
    """A direct client of the model server: (when it asked, when the first text came)."""
    started = time.monotonic()
    stream = await client.chat.completions.create(
        model="bench-model", messages=[{"role": "user", "content": content}], stream=True
    )
    first = 0.0
    async for chunk in stream:
        if not first and chunk.choices and chunk.choices[0].delta.content:
            first = time.monotonic()
    return started, first


# --- One user -------------------------------------------------------------------------------------


async def single_user(base_url: str, model: ModelProcess, user: BenchUser, runs: int) -> None:
    client = openai.AsyncOpenAI(base_url=model.base_url, api_key="bench", max_retries=0)
    direct: list[float] = []
    direct_to_model: list[float] = []
    direct_from_model: list[float] = []
    onyx: list[float] = []
    to_model: list[float] = []
    from_model: list[float] = []
    overhead: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        socket = await open_socket(base_url, user)
        for run in range(-3, runs):  # three runs to warm up, not counted
            content = f"direct {run} {secrets.token_hex(4)}"
            asked, first = await direct_first_token(client, content)
            seen = model.request(content)
            content = f"Bonjour n°{run} ✓ {secrets.token_hex(4)}"
            posted = await send(http, user, content)
            sent, reply_id = posted.started, posted.reply_id
            await asyncio.wait_for(socket.completion(reply_id).wait(), 30)
            reached = socket.first_delta[reply_id]
            called = model.request(content)
            if run < 0:
                continue
            direct.append(first - asked)
            direct_to_model.append(seen.arrived_at - asked)
            direct_from_model.append(first - seen.first_chunk_at)
            onyx.append(reached - sent)
            to_model.append(called.arrived_at - sent)
            from_model.append(reached - called.first_chunk_at)
            overhead.append((reached - sent) - (first - asked))
        await socket.connection.close()
        user.sockets.remove(socket)  # the load that may follow counts this user's open sockets
    await client.close()
    print(f"\nFirst token, one user, {runs} runs (model: first after 20 ms, then every 10 ms)")
    print(f"{'':44} {'p50':>9} {'p99':>9}")
    rows = [
        ("direct client of the model server", direct),
        ("through Onyx: POST → first delta on socket", onyx),
        ("overhead (Onyx minus direct, per run)", overhead),
        ("  POST → model request arrives", to_model),
        ("    (direct: request → arrives)", direct_to_model),
        ("  model's first chunk → delta on socket", from_model),
        ("    (direct: first chunk → client has it)", direct_from_model),
    ]
    for label, values in rows:
        print(f"{label:44} {_ms(values, 0.5):7.1f}ms {_ms(values, 0.99):7.1f}ms")
    print("targets: overhead p50 < 30 ms, p99 < 80 ms")


# --- Many users at once ---------------------------------------------------------------------------


class ConnectionWatch:
    """The most PostgreSQL connections seen at once while it runs (polled every 20 ms)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.most = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        with psycopg.connect(libpq(self.database_url), autocommit=True) as watch:
            while not self.stopping.is_set():
                row = watch.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
                    " AND pid <> pg_backend_pid()",
                    [BENCH_DB],
                ).fetchone()
                self.most = max(self.most, int(row[0]) if row else 0)
                time.sleep(0.02)

    def __enter__(self) -> "ConnectionWatch":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join()


async def load(
    base_url: str,
    model: ModelProcess,
    users: list[BenchUser],
    sockets_each: int,
    rounds: int,
    database_url: str,
) -> None:
    client = openai.AsyncOpenAI(base_url=model.base_url, api_key="bench", max_retries=0)
    # Idle connections are dropped before uvicorn's own 5 s keep-alive would close them under us.
    limits = httpx.Limits(
        max_connections=len(users), max_keepalive_connections=len(users), keepalive_expiry=2
    )
    first_tokens: list[float] = []
    direct: list[float] = []
    answered: list[float] = []
    to_model: list[float] = []
    from_model: list[float] = []
    missed = unfinished = crossed = 0
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        for user in users:
            for _ in range(sockets_each):
                await open_socket(base_url, user)
        with ConnectionWatch(database_url) as connections:
            for round_ in range(rounds):
                answers = await asyncio.gather(
                    *(direct_first_token(client, f"load {round_} {n}") for n in range(len(users)))
                )
                direct += [first - asked for asked, first in answers]
                sent = await asyncio.gather(
                    *(send(http, u, f"Tous ensemble n°{round_} ✓ {u.email}") for u in users)
                )
                for user, posted in zip(users, sent, strict=True):
                    answered.append(posted.answered - posted.started)
                    for socket in user.sockets:
                        event = socket.completion(posted.reply_id)
                        with suppress(TimeoutError):
                            await asyncio.wait_for(event.wait(), LOAD_TIMEOUT_SECONDS)
                        if posted.reply_id in socket.first_delta:
                            reached = socket.first_delta[posted.reply_id]
                            first_tokens.append(reached - posted.started)
                            called = model.request(posted.content)
                            to_model.append(called.arrived_at - posted.started)
                            from_model.append(reached - called.first_chunk_at)
                        if not event.is_set():
                            unfinished += 1

        for user in users:
            for socket in user.sockets:
                missed += socket.missed_any()
                crossed += socket.crossed
                await socket.connection.close()
    await client.close()
    total_sockets = len(users) * sockets_each
    print(f"\nLoad: {len(users)} users x {sockets_each} sockets, all sending at once,", end=" ")
    print(f"{rounds} rounds")
    print(f"{'':44} {'p50':>9} {'p99':>9}")
    for label, values in (
        ("direct client, as many at once", direct),
        ("through Onyx: POST → first delta, per socket", first_tokens),
        ("  POST → its answer (201)", answered),
        ("  POST → model request arrives", to_model),
        ("  model's first chunk → delta on socket", from_model),
    ):
        print(f"{label:44} {_ms(values, 0.5):7.1f}ms {_ms(values, 0.99):7.1f}ms")
    print(f"sockets that missed an event (a hole in seq): {missed} of {total_sockets}")
    print(f"replies whose end a socket never saw: {unfinished} of {total_sockets * rounds}")
    print(f"events about another user's chat: {crossed}")
    with psycopg.connect(libpq(database_url)) as db:
        states = db.execute(
            "SELECT status, count(*) FROM chats_chatmessage WHERE role = 'assistant'"
            " GROUP BY status ORDER BY status"
        ).fetchall()
    print("replies in PostgreSQL:", ", ".join(f"{count} {status}" for status, count in states))
    errors = [socket.error for user in users for socket in user.sockets if socket.error]
    if errors:
        print(f"sockets whose reading failed: {len(errors)} ({errors[0]})")
    print(f"most PostgreSQL connections at once: {connections.most}")
    print("targets: p99 first token < 1 s, 0 missed, connections bounded")


# --- Main -----------------------------------------------------------------------------------------


def create_users(env: dict[str, str], count: int) -> list[BenchUser]:
    script = CREATE_USERS.format(count=count, password=PASSWORD)
    made = json.loads(_manage(env, "shell", "-c", script).strip().splitlines()[-1])
    return [BenchUser(email=u["email"], chat_id=u["chat_id"]) for u in made]


async def run(args: argparse.Namespace, running: Running, env: dict[str, str]) -> None:
    model: ModelProcess = args.model
    users = create_users(env, max(args.users if args.mode != "single" else 1, 1))
    async with httpx.AsyncClient(base_url=running.base_url, timeout=30) as http:
        for user in users:
            await sign_in(http, user)
    if args.mode in ("single", "both"):
        await single_user(running.base_url, model, users[0], args.runs)
    if args.mode in ("load", "both"):
        database_url = env["DATABASE_URL"]
        await load(running.base_url, model, users, args.sockets, args.rounds, database_url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["single", "load", "both"], default="both")
    parser.add_argument("--runs", type=int, default=50, help="one-user runs (default 50)")
    parser.add_argument("--users", type=int, default=50, help="users in the load (default 50)")
    parser.add_argument("--sockets", type=int, default=2, help="sockets per user (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="load rounds (default 3)")
    parser.add_argument(
        "--replies-workers", type=int, default=1, help="replies worker processes (default 1)"
    )
    args = parser.parse_args()
    args.runs = min(args.runs, 1000)
    args.users = min(args.users, 200)
    args.rounds = min(args.rounds, 10)
    model = ModelProcess(MODEL_PACE)
    args.model = model
    with private_services(), scratch_database() as database_url:
        redis_url = with_redis_db(os.environ["REDIS_URL"], BENCH_REDIS_DB)
        redis.Redis.from_url(redis_url).flushdb()
        env = app_environment(database_url, redis_url, model.base_url)
        _manage(env, "migrate", "--noinput", "-v0")
        running = start_app(env, replies_workers=max(1, min(args.replies_workers, 8)))
        try:
            asyncio.run(run(args, running, env))
        finally:
            running.stop()
            model.stop()


if __name__ == "__main__":
    main()
