"""The local model server of bench/first_token.py, in a process of its own.

In the benchmark's own process, the server's threads and the clients' event loop shared one GIL:
with 50 replies at once, every paced chunk waited for the clients' work and every socket read
waited for the server's, which no deployment has (its model server is another program, often
another machine). Here the server (tests/fake_openai_server.py) runs in a child process; the
benchmark asks it, through a pipe, when each request arrived and when its first chunk left. Both
read time.monotonic(), one clock for every process of the machine.
"""

import multiprocessing
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_openai_server import Script, start_fake_openai  # noqa: E402


@dataclass(frozen=True)
class ModelRequest:
    """When the model server read a request, and when it sent the request's first text."""

    arrived_at: float
    first_chunk_at: float


def _serve(script: Script, answers: Connection) -> None:
    model = start_fake_openai()
    model.default_script = script
    answers.send(model.base_url)
    while (content := answers.recv()) is not None:
        found = next(
            (
                (request.arrived_at, request.first_chunk_at)
                for request in reversed(model.requests)
                if request.body["messages"][-1]["content"] == content
            ),
            None,
        )
        answers.send(found)
    model.server.shutdown()


class ModelProcess:
    """A local OpenAI-compatible server that answers every request with `script`."""

    def __init__(self, script: Script) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe()
        self._process = context.Process(target=_serve, args=(script, child_end), daemon=True)
        self._process.start()
        self.base_url: str = self._pipe.recv()

    def request(self, content: str) -> ModelRequest:
        """The last request whose final message was `content`."""
        self._pipe.send(content)
        found = self._pipe.recv()
        if found is None or found[1] is None:
            raise LookupError(content)
        return ModelRequest(arrived_at=found[0], first_chunk_at=found[1])

    def stop(self) -> None:
        self._pipe.send(None)
        self._process.join(timeout=10)
