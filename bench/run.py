"""`make bench`: every figure of the performance issue, each against a baseline measured in the
same run, one line per figure.

    .venv/bin/python bench/run.py            # short (a few minutes on 2 cores)
    .venv/bin/python bench/run.py --long     # adds the socket and fan-out sizes

It starts what it needs (bench/stack.py): private services, a scratch database, the app under its
production server with DEBUG off and the baseline views, and the workers.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from statistics import mean

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sockets
from http_load import Load, wrk
from stack import ROOT, Stack, running_stack


@dataclass(frozen=True)
class Figure:
    name: str
    ours: str
    baseline: str
    ratio: float | None
    target: str

    def line(self) -> str:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}×"
        load = "/".join(f"{n:.1f}" for n in os.getloadavg())
        return (
            f"{self.name:<58} {self.ours:>14} {self.baseline:>16} {ratio:>7}  "
            f"target {self.target:<8} load {load}"
        )


def _post_json(url: str, body: dict[str, object], headers: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def access_token(base: str, email: str, password: str) -> str:
    return str(
        _post_json(f"{base}/api/auth/token/", {"email": email, "password": password})["access"]
    )


def session_cookie(base: str, email: str, password: str) -> str:
    """Sign in through the login form, as a browser would; returns the Cookie header."""
    with urllib.request.urlopen(f"{base}/login/", timeout=10) as response:
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = urllib.parse.urlencode(
        {"email": email, "password": password, "csrfmiddlewaretoken": token}
    )
    cookie = "; ".join(f"{k}={v.value}" for k, v in jar.items())
    request = urllib.request.Request(
        f"{base}/login/",
        data=form.encode(),
        headers={"Cookie": cookie, "Referer": f"{base}/login/"},
        method="POST",
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(request, timeout=10)
    except urllib.error.HTTPError as answer:  # the 302 after a successful sign-in
        for header in answer.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    return "; ".join(f"{k}={v.value}" for k, v in jar.items() if v.value)


def compare(
    ours: Callable[[], Load], *baselines: Callable[[], Load], rounds: int = 2
) -> tuple[float, ...]:
    """Requests per second of ours and of each baseline, alternating so drift hits them all."""
    mine: list[float] = []
    bases: list[list[float]] = [[] for _ in baselines]
    for _ in range(rounds):
        for measured, baseline in zip(bases, baselines, strict=True):
            measured.append(baseline().requests_per_second)
        result = ours()
        if result.errors:
            raise SystemExit(f"{result.errors} failed requests: the figure would be wrong")
        mine.append(result.requests_per_second)
    return mean(mine), *(mean(measured) for measured in bases)


def seed(stack: Stack) -> dict:  # type: ignore[type-arg]
    output = subprocess.run(
        [sys.executable, "bench/seed.py"], cwd=ROOT, env=stack.env, capture_output=True, check=True
    ).stdout
    return json.loads(output)


def pg_sessions(stack: Stack) -> int:
    """PostgreSQL's count of sessions ever opened on the benchmark's database, read through one
    new session of its own (a pool of one: Django's default pool would open two)."""
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SELECT pg_stat_clear_snapshot()')\n"
        '    c.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s",'
        " [connection.settings_dict['NAME']])\n"
        "    print(c.fetchone()[0])\n"
    )
    env = {**stack.env, "DATABASE_POOL_MIN": "1", "DATABASE_POOL_MAX": "1"}
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, check=True
    ).stdout
    return int(output.strip())


def http_figures(stack: Stack, data: dict, seconds: float) -> list[Figure]:  # type: ignore[type-arg]
    base = stack.url
    password = data["password"]
    tokens = {who: access_token(base, email, password) for who, email in data["users"].items()}
    cookie = session_cookie(base, data["users"]["reader"], password)
    bare = f"{base}/bench/bare-drf/"  # under Django's own ASGI handler
    bare_ours = f"{base}/bench/ours/bare-drf/"  # the same view under ours

    def load(url: str, headers: dict[str, str] | None = None) -> Callable[[], Load]:
        return lambda: wrk(url, headers=headers, seconds=seconds)

    def bearer(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    # Warm every path once (templates compiled, connections in the pool).
    for url, headers in (
        (f"{base}/api/auth/me/", bearer("few")),
        (f"{base}/api/chats/", bearer("few")),
        (bare, None),
        (bare_ours, None),
    ):
        wrk(url, headers=headers, seconds=1)

    figures = []
    for name, url, who, target in (
        ("GET /api/auth/me/ vs bare DRF, requests/s", f"{base}/api/auth/me/", "few", "≥ 0.6×"),
        ("GET /api/chats/ (20 chats) vs bare DRF", f"{base}/api/chats/", "few", "≥ 0.5×"),
        (
            "GET /api/chats/ (200 chats, page of 100) vs bare DRF",
            f"{base}/api/chats/?page_size=100",
            "many",
            "≥ 0.35×",
        ),
        (
            "GET /api/chats/{id}/messages/ (50) vs bare DRF",
            f"{base}/api/chats/{data['chats']['50']}/messages/",
            "reader",
            "≥ 0.4×",
        ),
    ):
        # Against the framework as shipped, and like for like: the bare view under our ASGI
        # handler, whose own gain every endpoint has too.
        ours, baseline, baseline_ours = compare(load(url, bearer(who)), load(bare), load(bare_ours))
        figures.append(
            Figure(name, f"{ours:.0f}/s", f"{baseline:.0f}/s bare", ours / baseline, target)
        )
        figures.append(
            Figure(
                "  the same vs the bare view under our handler",
                f"{ours:.0f}/s",
                f"{baseline_ours:.0f}/s bare",
                ours / baseline_ours,
                target,
            )
        )
    ours, baseline = compare(load(bare_ours), load(bare))
    figures.append(
        Figure(
            "bare DRF view, our ASGI handler vs Django's",
            f"{ours:.0f}/s",
            f"{baseline:.0f}/s bare",
            ours / baseline,
            "—",
        )
    )

    sessions_before = pg_sessions(stack)
    warm = wrk(f"{base}/api/auth/me/", headers=bearer("few"), seconds=seconds)
    time.sleep(1)  # the statistics collector reports at most once a second
    # Less the session the first reading opened (the second one's is not counted yet).
    new_connections = pg_sessions(stack) - sessions_before - 1
    figures.append(
        Figure(
            "new PostgreSQL connections per request (after warm-up)",
            f"{new_connections / warm.requests:.4f}",
            f"{warm.requests} requests",
            None,
            "0",
        )
    )

    def per_request_ms(url: str, headers: dict[str, str]) -> float:
        return 1000 / wrk(url, headers=headers, seconds=seconds).requests_per_second

    def more_vs_less(
        name: str, more: tuple[str, dict[str, str]], less: tuple[str, dict[str, str]], target: str
    ) -> Figure:
        """ms per request of `more` (url, headers) against `less`, warmed, then alternating so
        drift hits both."""
        for url, headers in (more, less):
            wrk(url, headers=headers, seconds=1)
        mores, lesses = [], []
        for _ in range(2):
            mores.append(per_request_ms(*more))
            lesses.append(per_request_ms(*less))
        much, little = mean(mores), mean(lesses)
        return Figure(name, f"{much:.2f} ms", f"{little:.2f} ms", much / little, target)

    page = f"{base}/chats/{{}}/"
    api = f"{base}/api/chats/{{}}/messages/"
    for name, template, headers, target in (
        ("chat page /chats/{id}/, 10,000 messages vs 10", page, {"Cookie": cookie}, "≤ 1.3×"),
        ("GET /api/chats/{id}/messages/, 10,000 vs 10", api, bearer("reader"), "≤ 1.2×"),
        # The same, a page of 10 from each: what the chat's size alone costs (above, the big
        # chat's page holds 50 messages against the small chat's 10).
        (
            "GET /api/chats/{id}/messages/?page_size=10, 10,000 vs 10",
            api + "?page_size=10",
            bearer("reader"),
            "≤ 1.2×",
        ),
    ):
        big = (template.format(data["chats"]["10000"]), headers)
        small = (template.format(data["chats"]["10"]), headers)
        figures.append(more_vs_less(name, big, small, target))

    # What a user's amount of data costs a page: the same 10-message chat page and the files
    # page, for a user with 4,000 chats and 3,000 files against one with 3 chats and 50 files.
    heavy_cookie = {"Cookie": session_cookie(base, data["users"]["heavy"], password)}
    light_cookie = {"Cookie": cookie}
    for name, heavy_url, light_url in (
        (
            "chat page, 4,000 chats and 3,000 files vs 3 and 50",
            f"{base}/chats/{data['heavy_chat']}/",
            f"{base}/chats/{data['chats']['10']}/",
        ),
        ("files page /files/, 3,000 files vs 50", f"{base}/files/", f"{base}/files/"),
    ):
        heavy, light = (heavy_url, heavy_cookie), (light_url, light_cookie)
        figures.append(more_vs_less(name, heavy, light, "≤ 1.3×"))
    return figures


def first_page_load(stack: Stack, data: dict) -> Figure:  # type: ignore[type-arg]
    """The first request for a chat page after the server starts (render caches cold)."""
    url = stack.start_web()
    cookie = session_cookie(url, data["users"]["reader"], data["password"])
    page = f"{url}/chats/{data['chats']['10']}/"
    request = urllib.request.Request(page, headers={"Cookie": cookie})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
    first = (time.perf_counter() - started) * 1000
    warm = []
    for _ in range(20):
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        warm.append((time.perf_counter() - started) * 1000)
    return Figure(
        "first chat page load after start (10 messages)",
        f"{first:.1f} ms",
        f"{mean(warm):.1f} ms warm",
        first / mean(warm),
        "≤ 30 ms",
    )


def socket_figures(stack: Stack, data: dict, count: int) -> list[Figure]:  # type: ignore[type-arg]
    token = access_token(stack.url, data["users"]["few"], data["password"])
    result = sockets.measure(stack, token, count)
    return [
        Figure(
            f"{count:,} idle sockets on one web process: memory each",
            f"{result.kb_per_socket:.1f} KB",
            f"{result.rss_before_kb / 1024:.0f} MB before",
            None,
            "< 60 KB",
        ),
        Figure(
            f"  /api/auth/me/ p99 with {count:,} sockets vs none",
            f"{result.me_p99_with_ms:.1f} ms",
            f"{result.me_p99_without_ms:.1f} ms none",
            result.me_p99_with_ms / result.me_p99_without_ms,
            "≤ 1.5×",
        ),
        Figure(
            f"  CPU of the web process with {count:,} idle sockets",
            f"{result.idle_cpu_percent:.1f} %",
            "",
            None,
            "< 10 %",
        ),
        Figure(
            f"  closing {count:,} sockets (client side, until all closed)",
            f"{result.close_seconds:.1f} s",
            "",
            None,
            "",
        ),
    ]


def first_token(*arguments: str) -> None:
    """The reply path's figures (bench/first_token.py starts its own stack), as it prints them."""
    print("", flush=True)
    subprocess.run(
        [sys.executable, str(Path(__file__).with_name("first_token.py")), *arguments],
        cwd=ROOT,
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--long", action="store_true", help="add the socket and fan-out sizes")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each load run")
    parser.add_argument("--server", default="uvicorn", choices=["uvicorn", "granian", "daphne"])
    parser.add_argument("--sockets", type=int, default=5000, help="idle sockets in --long")
    parser.add_argument(
        "--only", choices=["http", "sockets", "first-token"], help="run one group of figures"
    )
    args = parser.parse_args()
    print(f"Onyx Sessions benchmarks, {os.cpu_count()} cores, server {args.server}", flush=True)
    with running_stack(ONYX_JWT_ACCESS_MINUTES="120") as stack:
        data = seed(stack)
        if args.only in (None, "http"):
            stack.start_web(args.server)
            for figure in http_figures(stack, data, args.seconds):
                print(figure.line(), flush=True)
            stack.stop()
            print(first_page_load(stack, data).line(), flush=True)
            stack.stop()
        if args.long or args.only == "sockets":
            sockets.raise_open_file_limit()  # the server inherits it
            stack.start_web(args.server)
            for figure in socket_figures(stack, data, args.sockets):
                print(figure.line(), flush=True)
            stack.stop()
    if args.only in (None, "first-token"):
        first_token("--mode", "single", "--runs", "30")
    if args.long:
        first_token("--mode", "load", "--users", "50", "--rounds", "1")
        first_token("--mode", "load", "--users", "200", "--rounds", "1")


if __name__ == "__main__":
    main()
