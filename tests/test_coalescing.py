"""How often a reply's text is flushed to the tabs: every 50 ms, less often when a worker process
writes many replies at once, never less than four times a second."""

import pytest

from chats import generation


@pytest.mark.parametrize(
    ("streaming", "seconds"),
    [(0, 0.05), (1, 0.05), (10, 0.05), (20, 0.1), (40, 0.2), (50, 0.25), (5000, 0.25)],
)
def test_flushes_spread_out_with_the_replies_a_process_writes(
    monkeypatch: pytest.MonkeyPatch, streaming: int, seconds: float
) -> None:
    monkeypatch.setattr(generation, "_replies_streaming", streaming)
    assert generation.flush_seconds() == pytest.approx(seconds)
