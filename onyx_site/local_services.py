"""Private PostgreSQL and Redis for this checkout, on UNIX sockets only.

Usage (from the repository root)::

    python -m onyx_site.local_services up [--owner TOKEN]
    python -m onyx_site.local_services down [--owner TOKEN]
    python -m onyx_site.local_services status

``up`` starts (or reuses) a PostgreSQL cluster and a Redis server that live
under ``var/`` and listen on UNIX sockets only, so several checkouts can run
side by side without port conflicts.  It writes ``var/services.env`` with
``DATABASE_URL`` and ``REDIS_URL``.  A service whose URL is already given in
the environment is not started; the given URL is written instead.

``up --owner TOKEN`` records TOKEN as the owner of each service it started;
``down --owner TOKEN`` stops only the services that TOKEN started.  ``down``
without ``--owner`` stops both private instances.

This module uses the standard library only: it must run with the system
``python3`` before the project's virtualenv exists.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import glob
import hashlib
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
VAR = REPO / "var"
RUN_DIR = VAR / "run"
LOG_DIR = VAR / "log"
REDIS_DIR = VAR / "redis"
PG_LINK = VAR / "postgres"
SERVICES_ENV = VAR / "services.env"
LOCK_FILE = VAR / ".services.lock"

DB_NAME = "onyx"
PG_SUPERUSER = "postgres"
PG_SYSTEM_USER = "postgres"
PG_PORT = 5432
# sun_path holds 108 bytes; PostgreSQL appends "/.s.PGSQL.5432.lock" to its socket dir.
MAX_SOCKET_PATH = 100
STARTUP_TIMEOUT = 10.0


class ServiceError(Exception):
    """A service could not be started or stopped; the message says why."""


# --------------------------------------------------------------------------- helpers


def say(message: str) -> None:
    print(message, flush=True)


def is_root() -> bool:
    return os.geteuid() == 0


def display_path(path: Path) -> str:
    """A path relative to the repository when it lies inside it, else absolute."""
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return str(path)


def run(
    cmd: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True, check=False)


def run_or_fail(cmd: Sequence[str], what: str, *, cwd: Path | None = None) -> str:
    result = run(cmd, cwd=cwd)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise ServiceError(f"{what} failed (exit {result.returncode}):\n{output}")
    return result.stdout


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    tail = text.splitlines()[-lines:]
    return f"--- last lines of {display_path(path)} ---\n" + "\n".join(tail)


def read_pid(pid_file: Path) -> int | None:
    try:
        first_line = pid_file.read_text().splitlines()[0]
        return int(first_line.strip())
    except (OSError, IndexError, ValueError):
        return None


def process_is(pid: int, name: str) -> bool:
    """Whether `pid` is alive and its command line mentions `name`."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, owned by another user
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the signal check
    return name.encode() in cmdline


def remove_if_exists(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def apt_install(package: str) -> None:
    """Install a Debian package; only possible as root."""
    if not is_root() or shutil.which("apt-get") is None:
        raise ServiceError(
            f"{package} is not installed; install it (e.g. apt-get install {package})"
        )
    say(f"installing {package} with apt-get ...")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", package]):
        if subprocess.run(cmd, env=env, check=False).returncode != 0:
            raise ServiceError(f"'{' '.join(cmd)}' failed")


def env_url(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


# --------------------------------------------------------------------------- ownership


def owner_file(service: str) -> Path:
    return RUN_DIR / f"{service}.owner"


def read_owner(service: str) -> str | None:
    try:
        return owner_file(service).read_text().strip() or None
    except OSError:
        return None


def record_owner(service: str, owner: str | None) -> None:
    """Remember who started `service` (forget any previous starter)."""
    if owner:
        owner_file(service).write_text(owner + "\n")
    else:
        remove_if_exists(owner_file(service))


def may_stop(service: str, owner: str | None) -> tuple[bool, str]:
    """Whether `down --owner owner` may stop `service`, and why not."""
    if owner is None:
        return True, ""
    started_by = read_owner(service)
    if started_by == owner:
        return True, ""
    if started_by is None:
        return False, f"not started by {owner!r}"
    return False, f"started by {started_by!r}, not by {owner!r}"


@contextlib.contextmanager
def services_lock() -> Iterator[None]:
    """Serialise concurrent up/down calls in the same checkout."""
    VAR.mkdir(parents=True, exist_ok=True)
    with LOCK_FILE.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- PostgreSQL


@dataclass(frozen=True)
class PgLayout:
    """Where the private cluster lives.

    Normally under var/postgres (data) and var/run (socket).  When the postgres
    system user cannot reach the repository (e.g. a clone under /root with mode
    700) or the socket path would be too long, everything lives under
    /tmp/onyx-<hash>/ instead and var/postgres is a symlink to it.  All paths
    here are real paths: the postgres user may not be able to follow the link.
    """

    base: Path
    socket_dir: Path
    log_file: Path
    in_tmp: bool

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "postmaster.pid"

    @property
    def socket_file(self) -> Path:
        return self.socket_dir / f".s.PGSQL.{PG_PORT}"

    @property
    def database_url(self) -> str:
        # django-environ takes HOST from a percent-encoded absolute path:
        # postgres://user@/%2Fsocket%2Fdir/dbname -> HOST=/socket/dir, NAME=dbname
        return f"postgres://{PG_SUPERUSER}@/{quote(str(self.socket_dir), safe='')}/{DB_NAME}"


def tmp_base() -> Path:
    digest = hashlib.sha1(str(REPO).encode(), usedforsecurity=False).hexdigest()[:10]
    return Path("/tmp") / f"onyx-{digest}"


def normal_layout() -> PgLayout:
    return PgLayout(
        base=PG_LINK, socket_dir=RUN_DIR, log_file=LOG_DIR / "postgres.log", in_tmp=False
    )


def tmp_layout() -> PgLayout:
    base = tmp_base() / "postgres"
    return PgLayout(base=base, socket_dir=base / "run", log_file=base / "postgres.log", in_tmp=True)


def must_drop_privileges() -> bool:
    """initdb and pg_ctl refuse to run as root: run them as the postgres user."""
    return is_root()


def as_postgres(cmd: Sequence[str]) -> list[str]:
    if must_drop_privileges():
        return ["runuser", "-u", PG_SYSTEM_USER, "--", *cmd]
    return list(cmd)


def postgres_can_traverse(directory: Path) -> bool:
    if not must_drop_privileges():
        return True
    check = as_postgres(["test", "-x", str(directory)])
    return run(check, cwd=Path("/")).returncode == 0


def socket_path_too_long(socket_dir: Path) -> bool:
    return len(str(socket_dir / f".s.PGSQL.{PG_PORT}.lock")) > MAX_SOCKET_PATH


def choose_pg_layout() -> PgLayout:
    """Reuse the layout of an existing cluster, else pick one the postgres user can use."""
    existing = existing_pg_layout()
    if existing is not None and (existing.data_dir / "PG_VERSION").exists():
        return existing
    if PG_LINK.is_symlink():
        return tmp_layout()
    RUN_DIR.mkdir(parents=True, exist_ok=True)
    if socket_path_too_long(RUN_DIR) or not postgres_can_traverse(RUN_DIR):
        return tmp_layout()
    return normal_layout()


def existing_pg_layout() -> PgLayout | None:
    """The layout of a cluster created earlier, if any (never creates anything)."""
    if PG_LINK.is_symlink():
        return tmp_layout()
    if PG_LINK.is_dir():
        return normal_layout()
    return None


def find_pg_bindir() -> Path | None:
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = run([pg_config, "--bindir"])
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))

    def version_key(path: str) -> tuple[int, ...]:
        version = Path(path).parent.name
        return tuple(int(part) for part in version.split(".") if part.isdigit())

    debian_dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version_key, reverse=True)
    candidates.extend(Path(d) for d in debian_dirs)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    return None


def ensure_pg_bindir() -> Path:
    bindir = find_pg_bindir()
    if bindir is None:
        apt_install("postgresql")
        bindir = find_pg_bindir()
    if bindir is None:
        raise ServiceError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    return bindir


def ensure_postgres_user() -> None:
    if not must_drop_privileges():
        return
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        say(f"creating system user {PG_SYSTEM_USER!r} ...")
        run_or_fail(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                PG_SYSTEM_USER,
            ],
            "useradd",
        )


def give_to_postgres(*paths: Path) -> None:
    if must_drop_privileges():
        entry = pwd.getpwnam(PG_SYSTEM_USER)
        for path in paths:
            os.chown(path, entry.pw_uid, entry.pw_gid)


def ensure_tmp_base() -> Path:
    """Create /tmp/onyx-<hash>/, refusing one that someone else planted."""
    base = tmp_base()
    base.mkdir(mode=0o755, exist_ok=True)
    if base.is_symlink() or base.stat().st_uid != os.geteuid():
        raise ServiceError(f"{base} exists but is not owned by the current user; remove it")
    return base


def prepare_pg_dirs(layout: PgLayout) -> None:
    for directory in (VAR, RUN_DIR, LOG_DIR):
        directory.mkdir(parents=True, exist_ok=True)
    if layout.in_tmp:
        ensure_tmp_base()
        layout.base.mkdir(exist_ok=True)
        layout.socket_dir.mkdir(exist_ok=True)
        give_to_postgres(layout.base, layout.socket_dir)
        if PG_LINK.is_symlink() and PG_LINK.readlink() != layout.base:
            PG_LINK.unlink()  # points at another checkout's directory (a copied var/)
        if not PG_LINK.is_symlink():
            if PG_LINK.exists():
                PG_LINK.rmdir()  # an empty leftover; a non-empty one raises
            PG_LINK.symlink_to(layout.base, target_is_directory=True)
    else:
        PG_LINK.mkdir(exist_ok=True)
        give_to_postgres(PG_LINK, RUN_DIR)
    layout.log_file.touch(exist_ok=True)
    give_to_postgres(layout.log_file)


def pg_running_pid(layout: PgLayout) -> int | None:
    """The postmaster's pid, if one is running on *this* data directory.

    postmaster.pid holds the pid and then the data directory; checking both
    ignores a pid file copied from another checkout or left by a crash.
    """
    try:
        lines = layout.pid_file.read_text().splitlines()
        pid, data_dir = int(lines[0]), Path(lines[1])
    except (OSError, IndexError, ValueError):
        return None
    if data_dir.resolve() != layout.data_dir.resolve():
        return None
    return pid if process_is(pid, "postgres") else None


def clean_stale_pg_files(layout: PgLayout) -> None:
    """Remove a crashed server's pid file and socket (only when it is not running)."""
    if layout.pid_file.exists():
        say(f"postgres: removing stale {display_path(layout.pid_file)}")
    remove_if_exists(layout.pid_file, layout.socket_file, Path(f"{layout.socket_file}.lock"))


def initdb(bindir: Path, layout: PgLayout) -> None:
    say(f"postgres: initialising cluster in {display_path(layout.data_dir)} ...")
    base_cmd = [
        str(bindir / "initdb"),
        "-D",
        str(layout.data_dir),
        "--auth=trust",
        f"--username={PG_SUPERUSER}",
        "-E",
        "UTF8",
    ]
    failure = ""
    for locale in ("C.UTF-8", "C"):
        result = run(as_postgres([*base_cmd, f"--locale={locale}"]), cwd=Path("/"))
        if result.returncode == 0:
            return
        failure = (result.stdout + result.stderr).strip()
    raise ServiceError(f"initdb failed:\n{failure}")


def pg_server_options(layout: PgLayout) -> str:
    return (
        f"-c listen_addresses='' -k {shlex.quote(str(layout.socket_dir))} "
        "-c unix_socket_permissions=0700 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )


def start_postgres(bindir: Path, layout: PgLayout) -> None:
    cmd = [
        str(bindir / "pg_ctl"),
        "-D",
        str(layout.data_dir),
        "-l",
        str(layout.log_file),
        "-w",
        "-t",
        "30",
        "-o",
        pg_server_options(layout),
        "start",
    ]
    result = run(as_postgres(cmd), cwd=Path("/"))
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise ServiceError(f"pg_ctl start failed:\n{output}\n{log_tail(layout.log_file)}")


def stop_postgres(bindir: Path, layout: PgLayout) -> None:
    cmd = [str(bindir / "pg_ctl"), "-D", str(layout.data_dir), "-m", "fast", "-w", "stop"]
    result = run(as_postgres(cmd), cwd=Path("/"))
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise ServiceError(f"pg_ctl stop failed:\n{output}\n{log_tail(layout.log_file)}")


def client_env() -> dict[str, str]:
    """The environment for psql/createdb, without PG* variables that could redirect them."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def wait_until_pg_ready(bindir: Path, layout: PgLayout) -> None:
    cmd = [str(bindir / "pg_isready"), "-q", "-h", str(layout.socket_dir), "-U", PG_SUPERUSER]
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while run(cmd, env=client_env()).returncode != 0:
        if time.monotonic() > deadline:
            raise ServiceError(
                f"postgres is not accepting connections\n{log_tail(layout.log_file)}"
            )
        time.sleep(0.2)


def ensure_database(bindir: Path, layout: PgLayout) -> None:
    host = str(layout.socket_dir)
    query = "SELECT 1 FROM pg_database WHERE datname='onyx'"  # DB_NAME
    psql = [
        str(bindir / "psql"),
        "-X",
        "-h",
        host,
        "-U",
        PG_SUPERUSER,
        "-d",
        "postgres",
        "-tAc",
        query,
    ]
    result = run(psql, env=client_env())
    if result.returncode != 0:
        raise ServiceError(f"psql failed:\n{result.stderr.strip()}")
    if result.stdout.strip() == "1":
        return
    createdb = run(
        [str(bindir / "createdb"), "-h", host, "-U", PG_SUPERUSER, DB_NAME], env=client_env()
    )
    if createdb.returncode != 0:
        raise ServiceError(f"createdb {DB_NAME} failed:\n{createdb.stderr.strip()}")


def postgres_up(owner: str | None) -> str:
    """Start or reuse the private cluster; return its DATABASE_URL."""
    given = env_url("DATABASE_URL")
    if given:
        say("postgres: using DATABASE_URL from environment")
        return given
    bindir = ensure_pg_bindir()
    ensure_postgres_user()
    layout = choose_pg_layout()
    prepare_pg_dirs(layout)
    where = f"unix socket {display_path(layout.socket_dir)}"
    if pg_running_pid(layout) is not None:
        wait_until_pg_ready(bindir, layout)
        ensure_database(bindir, layout)
        say(f"postgres: reused ({where})")
        return layout.database_url
    clean_stale_pg_files(layout)
    if not (layout.data_dir / "PG_VERSION").exists():
        initdb(bindir, layout)
    start_postgres(bindir, layout)
    record_owner("postgres", owner)
    wait_until_pg_ready(bindir, layout)
    ensure_database(bindir, layout)
    say(f"postgres: started ({where})")
    return layout.database_url


def postgres_down(owner: str | None) -> None:
    layout = existing_pg_layout()
    pid = pg_running_pid(layout) if layout else None
    if layout is None or pid is None:
        say("postgres: not running")
        return
    allowed, reason = may_stop("postgres", owner)
    if not allowed:
        say(f"postgres: left running ({reason})")
        return
    bindir = find_pg_bindir()
    if bindir is None:
        raise ServiceError("postgres is running but pg_ctl was not found")
    stop_postgres(bindir, layout)
    record_owner("postgres", None)
    say("postgres: stopped")


def postgres_status() -> None:
    layout = existing_pg_layout()
    pid = pg_running_pid(layout) if layout else None
    given = " (DATABASE_URL from environment takes precedence)" if env_url("DATABASE_URL") else ""
    if layout is None or pid is None:
        say(f"postgres: stopped{given}")
        return
    owner = read_owner("postgres")
    started_by = f", started by {owner!r}" if owner else ""
    where = display_path(layout.socket_dir)
    say(f"postgres: running (pid {pid}, unix socket {where}{started_by}){given}")


# --------------------------------------------------------------------------- Redis


def redis_socket() -> Path:
    in_repo = RUN_DIR / "redis.sock"
    if len(str(in_repo)) <= MAX_SOCKET_PATH:
        return in_repo
    return tmp_base() / "redis.sock"


REDIS_PID_FILE = RUN_DIR / "redis.pid"
REDIS_CONF = REDIS_DIR / "redis.conf"
REDIS_LOG = LOG_DIR / "redis.log"


def redis_url() -> str:
    return f"unix://{redis_socket()}"


def redis_answers_ping(sock_path: Path) -> bool:
    reply = redis_send(sock_path, b"PING")
    return reply is not None and reply.startswith(b"+PONG")


def redis_send(sock_path: Path, command: bytes, timeout: float = 1.0) -> bytes | None:
    """Send one inline command; return the first bytes of the reply (b"" if closed)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(sock_path))
            conn.sendall(command + b"\r\n")
            return conn.recv(64)
    except OSError:
        return None


def redis_pid() -> int | None:
    """The pid in var/run/redis.pid, if that process is a Redis on our socket.

    Redis shows its socket in its process title ("redis-server unixsocket:/...").
    """
    pid = read_pid(REDIS_PID_FILE)
    if pid is not None and process_is(pid, str(redis_socket())):
        return pid
    return None


def redis_config_value(value: Path | str) -> str:
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def write_redis_config() -> None:
    lines = [
        "# Generated by onyx_site.local_services; private dev/test Redis, UNIX socket only.",
        "port 0",
        f"unixsocket {redis_config_value(redis_socket())}",
        "unixsocketperm 700",
        "daemonize yes",
        f"pidfile {redis_config_value(REDIS_PID_FILE)}",
        f"logfile {redis_config_value(REDIS_LOG)}",
        f"dir {redis_config_value(REDIS_DIR)}",
        'save ""',
        "appendonly yes",
        "appendfsync everysec",
    ]
    REDIS_CONF.write_text("\n".join(lines) + "\n")


def ensure_redis_server() -> str:
    found = shutil.which("redis-server")
    if found is None:
        apt_install("redis-server")
        found = shutil.which("redis-server")
    if found is None:
        raise ServiceError("redis-server not found")
    return found


def clean_stale_redis_files() -> None:
    sock = redis_socket()
    if REDIS_PID_FILE.exists() or sock.exists():
        say("redis: removing stale pid file / socket")
    remove_if_exists(REDIS_PID_FILE, sock)


def start_redis(server: str) -> None:
    for directory in (RUN_DIR, LOG_DIR, REDIS_DIR):
        directory.mkdir(parents=True, exist_ok=True)
    if redis_socket().parent != RUN_DIR:
        ensure_tmp_base()
    write_redis_config()
    result = run([server, str(REDIS_CONF)], cwd=REDIS_DIR)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise ServiceError(f"redis-server failed to start:\n{output}\n{log_tail(REDIS_LOG)}")
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not redis_answers_ping(redis_socket()):
        if time.monotonic() > deadline:
            raise ServiceError(
                f"redis did not answer PING within {STARTUP_TIMEOUT:.0f}s\n{log_tail(REDIS_LOG)}"
            )
        time.sleep(0.1)


def redis_up(owner: str | None) -> str:
    """Start or reuse the private Redis; return its REDIS_URL."""
    given = env_url("REDIS_URL")
    if given:
        say("redis: using REDIS_URL from environment")
        return given
    where = f"unix socket {display_path(redis_socket())}"
    if redis_answers_ping(redis_socket()):
        say(f"redis: reused ({where})")
        return redis_url()
    stuck_pid = redis_pid()
    if stuck_pid is not None:
        message = f"redis (pid {stuck_pid}) is running but does not answer PING"
        raise ServiceError(f"{message}\n{log_tail(REDIS_LOG)}")
    clean_stale_redis_files()
    start_redis(ensure_redis_server())
    record_owner("redis", owner)
    say(f"redis: started ({where})")
    return redis_url()


def stop_redis() -> None:
    """Shut Redis down through its own socket, so we never signal a stranger's process."""
    pid = redis_pid()
    redis_send(redis_socket(), b"SHUTDOWN NOSAVE")
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while redis_answers_ping(redis_socket()) or (pid is not None and process_is(pid, "redis")):
        if time.monotonic() > deadline:
            raise ServiceError(f"redis did not shut down\n{log_tail(REDIS_LOG)}")
        time.sleep(0.1)
    remove_if_exists(REDIS_PID_FILE, redis_socket())


def redis_down(owner: str | None) -> None:
    if not redis_answers_ping(redis_socket()):
        say("redis: not running")
        return
    allowed, reason = may_stop("redis", owner)
    if not allowed:
        say(f"redis: left running ({reason})")
        return
    stop_redis()
    record_owner("redis", None)
    say("redis: stopped")


def redis_status() -> None:
    given = " (REDIS_URL from environment takes precedence)" if env_url("REDIS_URL") else ""
    where = display_path(redis_socket())
    pid = redis_pid()
    if not redis_answers_ping(redis_socket()):
        hung = f" (pid {pid} alive but NOT answering PING)" if pid else ""
        say(f"redis: stopped{hung}{given}")
        return
    owner = read_owner("redis")
    details = f"pid {pid}, " if pid else ""
    started_by = f", started by {owner!r}" if owner else ""
    say(f"redis: running ({details}unix socket {where}{started_by}){given}")


# --------------------------------------------------------------------------- commands


def write_services_env(database_url: str, redis_url_value: str) -> None:
    """Shell-sourceable (`set -a; . var/services.env; set +a`) and django-environ readable."""
    text = f"DATABASE_URL={shlex.quote(database_url)}\nREDIS_URL={shlex.quote(redis_url_value)}\n"
    SERVICES_ENV.write_text(text)


def cmd_up(owner: str | None) -> None:
    with services_lock():
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        database_url = postgres_up(owner)
        redis_url_value = redis_up(owner)
        write_services_env(database_url, redis_url_value)
    say(f"wrote {display_path(SERVICES_ENV)}")


def cmd_down(owner: str | None) -> None:
    with services_lock():
        errors: list[str] = []
        for stop in (postgres_down, redis_down):
            try:
                stop(owner)
            except (ServiceError, OSError) as exc:
                errors.append(str(exc))
        if errors:
            raise ServiceError("\n".join(errors))


def cmd_status() -> None:
    postgres_status()
    redis_status()


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m onyx_site.local_services",
        description="Private PostgreSQL and Redis for this checkout (UNIX sockets under var/).",
    )
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument(
        "--owner",
        help="up: record TOKEN as the starter of each service it starts; "
        "down: stop only the services TOKEN started",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "up":
            cmd_up(args.owner)
        elif args.command == "down":
            cmd_down(args.owner)
        else:
            cmd_status()
    except (ServiceError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
