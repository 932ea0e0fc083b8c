"""Request bodies are refused at the edge, before the server reads or stores them: against a
real uvicorn server, over raw sockets, so nothing in between buffers for us."""

import json
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import redis.exceptions
from asgiref.testing import ApplicationCommunicator
from django.core.files.storage import default_storage
from django.test import Client

from accounts.models import User
from files.models import UserFile
from onyx_site.asgi import application
from tests.asgi_server import http_scope, running_asgi_server
from tests.conftest import a_pages_security_headers, api_tokens, bearer, security_headers

pytestmark = pytest.mark.django_db(transaction=True)

HUGE = 300 * 1024 * 1024
CHUNK = b"x" * (256 * 1024)


@pytest.fixture
def server() -> Iterator[str]:
    with running_asgi_server() as url:
        yield url


def _connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port or 80), timeout=10)


def _head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_response(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            raise AssertionError(f"The server closed without answering: {data!r}")
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    while len(body) < int(headers.get("content-length", "0")):
        piece = conn.recv(65536)
        if not piece:
            break
        body += piece
    return int(status_line.split()[1]), headers, body


def _declare_only(url: str, path: str, length: int, extra: dict[str, str] | None = None) -> Any:
    """Send headers declaring `length` bytes of body, and none of the body."""
    with _connect(url) as conn:
        headers = {"Content-Type": "application/json", "Content-Length": str(length)}
        conn.sendall(_head("POST", path, {**headers, **(extra or {})}))
        return _read_response(conn)


@pytest.mark.parametrize("path", ["/api/files/", "/api/auth/token/", "/api/chats/"])
def test_an_anonymous_huge_api_body_is_a_413_before_a_byte_is_read(server: str, path: str) -> None:
    status, headers, body = _declare_only(server, path, HUGE)
    assert status == 413
    assert headers["content-type"] == "application/json"
    detail = json.loads(body)["detail"]
    if path == "/api/files/":
        assert detail == "Sign in to upload files."
    else:
        assert detail == "This request is too large: a request body can be at most 1,024 KB."


def test_an_anonymous_huge_login_form_is_a_413_page(server: str) -> None:
    status, headers, body = _declare_only(server, "/login/", HUGE)
    assert status == 413
    assert headers["content-type"].startswith("text/html")
    assert b"a request body can be at most 1,024 KB" in body


def _files_in(directory: Path) -> set[Path]:
    return set(directory.rglob("*")) if directory.exists() else set()


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_a_huge_body_that_keeps_coming_is_cut_off_early_and_nothing_is_kept(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    # Where Django would spool a body: a directory of this test's own, so nothing else on
    # the machine writing to /tmp meanwhile can confuse the check.
    spool = tmp_path / "spool"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    settings.FILE_UPLOAD_TEMP_DIR = str(spool)
    media = Path(default_storage.location)  # type: ignore[attr-defined]
    media_before = _files_in(media)
    rss_before = _rss_bytes()
    sent = 0
    with _connect(server) as conn:
        conn.sendall(_head("POST", "/api/auth/token/", {"Content-Length": str(HUGE)}))

        def pour() -> None:
            nonlocal sent
            try:
                while sent < HUGE:
                    conn.sendall(CHUNK)
                    sent += len(CHUNK)
            except OSError:
                pass  # the server closed the connection: what we expect

        pourer = threading.Thread(target=pour, daemon=True)
        pourer.start()
        status, _, _ = _read_response(conn)
        pourer.join(timeout=30)
        assert not pourer.is_alive()
    assert status == 413
    # What the kernel's socket buffers hold, not hundreds of MB.
    assert sent < 32 * 1024 * 1024, f"the server read {sent / 1024 / 1024:.0f} MB"
    assert _rss_bytes() - rss_before < 100 * 1024 * 1024
    assert _files_in(media) == media_before
    assert _files_in(spool) == set()


@pytest.mark.parametrize(
    ("signed_out", "detail"),
    [(False, "This file is larger than the 1 MB limit."), (True, "Sign in to upload files.")],
)
def test_an_upload_over_the_limit_is_a_413_that_says_why(
    server: str, alice: User, settings: Any, signed_out: bool, detail: str
) -> None:
    settings.ONYX_MAX_UPLOAD_MB = 1
    access = api_tokens(Client(), alice)["access"]
    if signed_out:  # a token whose session ended gets only the small limit of other bodies
        Client().post("/api/auth/logout/", headers=bearer(access))
    status, _, body = _declare_only(
        server, "/api/files/", 3 * 1024 * 1024, {"Authorization": f"Bearer {access}"}
    )
    assert status == 413
    assert json.loads(body)["detail"] == detail


def test_a_signed_in_upload_under_the_limit_goes_through(server: str, alice: User) -> None:
    access = api_tokens(Client(), alice)["access"]
    text = "Notes: café, 東京, 🙂 " * 40_000  # about 1.3 MB, over the 1 MB limit of other bodies
    response = httpx.post(
        f"{server}/api/files/",
        files={"file": ("notes.txt", text.encode(), "text/plain")},
        headers=bearer(access),
        timeout=30,
    )
    assert response.status_code == 201, response.text
    assert UserFile.objects.for_user(alice).get().size == len(text.encode())


def test_a_chunked_body_is_refused_with_a_reason(server: str, alice: User) -> None:
    access = api_tokens(Client(), alice)["access"]
    with _connect(server) as conn:
        conn.sendall(
            _head(
                "POST",
                "/api/files/",
                {"Authorization": f"Bearer {access}", "Transfer-Encoding": "chunked"},
            )
        )
        status, _, body = _read_response(conn)
    assert status == 411
    assert "chunked request bodies are not accepted" in json.loads(body)["detail"]


def test_every_refusal_at_the_edge_carries_a_pages_security_headers(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Django's middleware never sees these answers; they get its headers all the same."""
    page = a_pages_security_headers(server)
    refusals = {
        "413 JSON": _declare_only(server, "/api/auth/token/", HUGE),
        "413 page": _declare_only(server, "/login/", HUGE),
    }
    with _connect(server) as conn:
        conn.sendall(_head("POST", "/api/chats/", {"Transfer-Encoding": "chunked"}))
        refusals["411"] = _read_response(conn)

    def out_of_reach(headers: Any) -> int | None:
        raise redis.exceptions.ConnectionError("Error 111 connecting to Redis.")

    # Redis down while the edge asks whose upload this is.
    monkeypatch.setattr("onyx_site.body_limits.signed_in_user_id", out_of_reach)
    refusals["503"] = _declare_only(server, "/api/files/", 1024)
    assert {name: status for name, (status, _, _) in refusals.items()} == {
        "413 JSON": 413,
        "413 page": 413,
        "411": 411,
        "503": 503,
    }
    for name, (_, headers, _) in refusals.items():
        assert (name, security_headers(headers)) == (name, page)


async def test_bytes_past_the_declared_length_are_counted_and_cut_off() -> None:
    """Behind a server that does not hold a client to its Content-Length, the count still
    stops the body at the limit (ASGI messages straight to the app)."""
    scope = http_scope(
        "POST",
        "/api/auth/token/",
        [(b"content-type", b"application/json"), (b"content-length", b"10")],
    )
    app = ApplicationCommunicator(application, scope)
    for _ in range(8):
        await app.send_input({"type": "http.request", "body": CHUNK, "more_body": True})
    start = await app.receive_output(timeout=10)
    assert start["status"] == 413
    body = await app.receive_output(timeout=5)
    assert "at most 1,024 KB" in json.loads(body["body"])["detail"]


@pytest.mark.parametrize("declared", [b"\xb2", b"\xb9\xb2", b"1e3", b"-5"])
async def test_a_content_length_that_is_not_ascii_digits_is_refused(declared: bytes) -> None:
    """Behind a server that passes any header on: "²" (0xB2 read as latin-1) is a digit to
    str.isdigit() but not to int(); it gets the same refusal as any bad length."""
    scope = http_scope(
        "POST",
        "/api/auth/token/",
        [(b"content-type", b"application/json"), (b"content-length", declared)],
    )
    app = ApplicationCommunicator(application, scope)
    await app.send_input({"type": "http.request", "body": b"{}", "more_body": False})
    start = await app.receive_output(timeout=10)
    assert start["status"] == 413


def test_static_files_carry_the_transport_and_sniffing_headers_of_a_page() -> None:
    """ServeStatic answers before SecurityMiddleware; its files get the same headers, less the
    page-only ones (the policy and framing are about documents)."""
    page = a_pages_security_headers()
    served = Client().get("/static/js/local_time.js")
    assert served.status_code == 200
    assert security_headers(served.headers) == {
        name: value
        for name, value in page.items()
        if name not in {"content-security-policy", "x-frame-options"}
    }
