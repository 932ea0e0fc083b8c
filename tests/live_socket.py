"""A real WebSocket client of /ws/ for tests: an API client's socket on a running server, read in
a thread, with the reply text it has assembled from the deltas exactly as a tab does."""

import json
import threading
from contextlib import ExitStack
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Origin

from tests.waiting import wait_until


def assembled_text(events: list[dict[str, Any]], message_id: int) -> str:
    """The text of a reply as a client builds it from its deltas: each at its `offset` (code
    points), or replacing everything when it carries `reset`. Fails on a hole or an overlap."""
    text = ""
    for event in events:
        if event["type"] != "message.delta" or event["message_id"] != message_id:
            continue
        if event.get("reset"):
            assert event["offset"] == 0, event
            text = event["delta"]
            continue
        assert event["offset"] == len(text), (event, text)
        text += event["delta"]
    return text


class LiveSocket:
    """`/ws/` opened with a bearer token, collecting every event in `seq` order, as the page
    does: an event that comes early waits, and a gap is filled by asking for a replay."""

    def __init__(self, base_url: str, access: str, *, query: str = "") -> None:
        self._stack = ExitStack()
        self.connection: ClientConnection = self._stack.enter_context(
            connect(
                base_url.replace("http://", "ws://") + f"/ws/{query}",
                origin=Origin(base_url),
                additional_headers={"Authorization": f"Bearer {access}"},
                max_queue=None,
            )
        )
        hello = json.loads(self.connection.recv(timeout=10))
        assert hello["type"] == "hello", hello
        self.hello = hello
        self.events: list[dict[str, Any]] = []
        self.replays_asked = 0
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="live-socket", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        last_seq: int = self.hello["seq"]
        early: dict[int, dict[str, Any]] = {}
        asked = False
        try:
            for raw in self.connection:
                event = json.loads(raw)
                seq = event.get("seq")
                assert event["type"] != "resync", event  # the log always reaches back here
                if event["type"] == "replay.done":
                    asked = False
                    continue
                if seq is not None and seq <= last_seq:
                    continue
                if seq is None:
                    self._keep(event)
                    continue
                early[seq] = event
                while last_seq + 1 in early:
                    last_seq += 1
                    self._keep(early.pop(last_seq))
                if early and not asked:
                    asked = True
                    self.replays_asked += 1
                    self.connection.send(json.dumps({"type": "replay", "after": last_seq}))
        except ConnectionClosed:
            return

    def _keep(self, event: dict[str, Any]) -> None:
        with self._lock:
            self.events.append(event)

    def seen(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.events)

    def finished(self, message_id: int) -> dict[str, Any] | None:
        """The message of the `message.completed` / `message.failed` event for this reply."""
        for event in self.seen():
            finishing = event["type"] in ("message.completed", "message.failed")
            if finishing and event["message"]["id"] == message_id:
                return dict(event["message"])
        return None

    def wait_finished(self, message_id: int, *, timeout: float = 30) -> dict[str, Any]:
        return wait_until(
            lambda: self.finished(message_id),
            timeout=timeout,
            what=f"reply {message_id} to finish on the socket",
        )

    def text_of(self, message_id: int) -> str:
        return assembled_text(self.seen(), message_id)

    def seqs(self) -> list[int]:
        return [event["seq"] for event in self.seen() if "seq" in event]

    def close(self) -> None:
        self._stack.close()
        self._reader.join(timeout=10)
