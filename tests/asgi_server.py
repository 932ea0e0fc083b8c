"""A real ASGI server (uvicorn) for browser tests, serving the app against the test database."""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import uvicorn

from onyx_site.asgi import application
from tests.waiting import wait_until


def http_scope(
    method: str, path: str, headers: list[tuple[bytes, bytes]] | None = None
) -> dict[str, Any]:
    """The scope of an HTTP request sent straight to an ASGI app, with no server."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers if headers is not None else [(b"host", b"localhost")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_asgi_server(
    *,
    log_level: str = "warning",
    lifespan: Literal["auto", "on", "off"] = "on",
    **options: Any,
) -> Iterator[str]:
    """Serve the app on a free loopback port in a thread; yield its base URL. The server's log
    goes to the test's logging (pytest captures it); lifespan "on" fails the start unless the
    app answers the protocol, "auto" is what a bare `uvicorn onyx_site.asgi:application` does.
    Other `options` go to uvicorn.Config (say forwarded_allow_ips)."""
    port = _free_port()
    config = uvicorn.Config(
        application,
        host="127.0.0.1",
        port=port,
        log_level=log_level,
        log_config=None,
        lifespan=lifespan,
        **options,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    wait_until(
        # A server that died at start-up ends the wait at once, and the check fails below.
        lambda: server.started or not thread.is_alive(),
        what="the test ASGI server to start",
    )
    if not server.started:
        raise RuntimeError("The test ASGI server did not start.")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
