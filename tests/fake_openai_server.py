"""A local process that speaks the OpenAI-compatible streaming API: the one stand-in our tests use.

What it does is chosen by a marker in the last user message: `[slow]` waits between chunks
(`[steady]` a little, like a fast model),
`[fail500]` answers HTTP 500, `[cut]` drops the connection mid-stream, `[hang]` sends headers and
then nothing for ten seconds (or until the test ends). Otherwise it streams "Echo: <message>" in
several chunks. The server records what happened, for tests to check how a client behaved:
`hanging`/`hang_over` around a hang, `finished` once a whole stream was sent, `closed_early`
when the client went away before the end of one.

GET /v1/models lists `models`; a test sets `models_reply` to "not-json" or "hang" for a broken
server, and `required_key` to answer 401 to any other API key.
`[script:NAME]` streams the chunks a test gave with `script(NAME, ...)` at the pace it chose;
without a marker it may stream `default_script` instead, if set.
"""

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    # time.monotonic() (one clock for every process of the machine) when the request was read,
    # and when its first chunk of text was sent.
    arrived_at: float = 0.0
    first_chunk_at: float | None = None


@dataclass(frozen=True)
class Script:
    """A reply told in advance: these chunks, the first after `first_delay` seconds, the rest
    `pace` seconds apart."""

    chunks: tuple[str, ...]
    pace: float = 0.0
    first_delay: float = 0.0

    @property
    def text(self) -> str:
        return "".join(self.chunks)


@dataclass
class FakeOpenAIServer:
    server: ThreadingHTTPServer
    requests: list[ReceivedRequest] = field(default_factory=list)
    closed_early: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    hanging: threading.Event = field(default_factory=threading.Event)
    hang_over: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    models: list[str] = field(default_factory=lambda: ["fake-model", "fake-large"])
    models_reply: str = "list"
    required_key: str | None = None
    # NAME -> the script of its first request, its second, ... (the last one repeats).
    scripts: dict[str, list[Script]] = field(default_factory=dict)
    default_script: Script | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def hang(self) -> None:
        """Answer nothing for ten seconds, far past any client timeout a test sets, or until
        the test is over."""
        self.hanging.set()
        self.released.wait(timeout=10)
        self.hang_over.set()

    def script(self, name: str, *attempts: Script) -> str:
        """Register what `[script:NAME]` answers (one Script per request, in turn); returns
        the marker to put in a message."""
        self.scripts[name] = list(attempts)
        return f"[script:{name}]"

    def script_for(self, last_user: str) -> Script | None:
        match = _SCRIPT_MARKER.search(last_user)
        if match is None:
            return self.default_script
        attempts = self.scripts[match.group(1)]
        with self._lock:
            asked = sum(1 for r in self.requests if match.group(0) in _last_user(r.body))
        return attempts[min(asked - 1, len(attempts) - 1)]


_SCRIPT_MARKER = re.compile(r"\[script:([\w-]+)\]")


def _last_user(body: dict[str, Any]) -> str:
    return next(
        (m["content"] for m in reversed(body.get("messages", [])) if m["role"] == "user"), ""
    )


def _chunk(
    content: str | None, *, model: str, finish: str | None = None, usage: bool = False
) -> bytes:
    body: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "delta": {"content": content} if content is not None else {},
                "finish_reason": finish,
            }
        ],
    }
    if usage:
        body["choices"] = []
        body["usage"] = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    return f"data: {json.dumps(body)}\n\n".encode()


def _handler(state: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            state.requests.append(
                ReceivedRequest(
                    path=self.path, headers={k.lower(): v for k, v in self.headers.items()}, body={}
                )
            )
            if self.path != "/v1/models":
                self._send(404, b'{"error": {"message": "Not found"}}', "application/json")
            elif state.required_key and (
                self.headers.get("Authorization") != f"Bearer {state.required_key}"
            ):
                body = b'{"error": {"message": "Incorrect API key provided"}}'
                self._send(401, body, "application/json")
            elif state.models_reply == "hang":
                state.hang()
            elif state.models_reply == "not-json":
                self._send(200, b"<html><body>Welcome to nginx!</body></html>", "text/html")
            else:
                listed = {
                    "object": "list",
                    "data": [{"id": m, "object": "model"} for m in state.models],
                }
                self._send(200, json.dumps(listed).encode(), "application/json")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            received = ReceivedRequest(
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                arrived_at=time.monotonic(),
            )
            with state._lock:
                state.requests.append(received)
            last_user = _last_user(body)
            model = body.get("model", "fake-model")
            if "[fail500]" in last_user:
                error = json.dumps(
                    {"error": {"message": "The fake model is overloaded", "type": "server_error"}}
                )
                self.send_response(500)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(error)))
                self.end_headers()
                self.wfile.write(error.encode())
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            if "[hang]" in last_user:
                state.hang()
                return
            script = state.script_for(last_user)
            if script is not None:
                self._play(script, received, model)
                return
            words = f"Echo: {last_user}".split(" ")
            pieces = [word + (" " if n < len(words) - 1 else "") for n, word in enumerate(words)]
            delay = 0.3 if "[slow]" in last_user else 0.02 if "[steady]" in last_user else 0.0
            try:
                for n, piece in enumerate(pieces):
                    if "[cut]" in last_user and n == 2:
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    finish = "stop" if n == len(pieces) - 1 else None
                    self.wfile.write(_chunk(piece, model=model, finish=finish))
                    self.wfile.flush()
                    if delay:
                        time.sleep(delay)
                self.wfile.write(_chunk(None, model=model, usage=True))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                state.finished.set()
            except (BrokenPipeError, ConnectionResetError):
                state.closed_early.set()

        def _play(self, script: Script, received: ReceivedRequest, model: str) -> None:
            try:
                time.sleep(script.first_delay)
                for n, piece in enumerate(script.chunks):
                    if n:
                        time.sleep(script.pace)
                    finish = "stop" if n == len(script.chunks) - 1 else None
                    self.wfile.write(_chunk(piece, model=model, finish=finish))
                    self.wfile.flush()
                    if n == 0:
                        received.first_chunk_at = time.monotonic()
                self.wfile.write(_chunk(None, model=model, usage=True))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                state.finished.set()
            except (BrokenPipeError, ConnectionResetError):
                state.closed_early.set()

    return Handler


class _Server(ThreadingHTTPServer):
    # Many replies start at once in the load benchmark: the default backlog of 5 would make
    # the kernel drop connections, which retry a second later.
    request_queue_size = 256


def start_fake_openai() -> FakeOpenAIServer:
    server = _Server(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = FakeOpenAIServer(server=server)
    server.RequestHandlerClass = _handler(state)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="fake-openai", daemon=True).start()
    return state


@pytest.fixture
def fake_openai(settings: Any) -> Iterator[FakeOpenAIServer]:
    state = start_fake_openai()
    settings.ONYX_LLM_BASE_URL = state.base_url
    settings.ONYX_LLM_MODEL = "fake-model"
    settings.ONYX_LLM_API_KEY = "test-key"
    settings.ONYX_LLM_READ_TIMEOUT = 1.0
    try:
        yield state
    finally:
        state.released.set()
        state.server.shutdown()
        state.server.server_close()
