"""Garbage collection for a long-running process: what it built at start-up, and what its open
sockets hold, is left out of full collections.

A full collection walks every object the collector tracks: in a web process ~80 ms at start
(Django, the libraries, their caches), about once a second under load, and those pauses were the
p99 of every request. Frozen after warm-up, that heap is never walked again: a full collection
takes ~6 ms. Python's thresholds stay: larger ones made collections rarer but let garbage pile up
(the process grew ~15 MB every 10 s under load) and served fewer requests.

Sockets stay open for hours, and each holds ~150 tracked objects (its consumer, the server's
protocol, their tasks and buffers). Python starts a full collection whenever the objects that
survived since the last one reach a quarter of those it kept then: with 5,000 sockets that walk
took 0.56-0.7 s, every ~1,300 new sockets. So open sockets are frozen too, a batch at a time,
right after a full collection of what is not frozen yet (a few ms), so only live objects are
frozen. What dies after it was frozen (the reference cycles a closed socket leaves, ~12
objects, and those of requests that were in flight) is kept until enough sockets came and went;
one full collection over everything then takes it back.
"""

import gc
from dataclasses import dataclass

FREEZE_EVERY_OPENED = 100
COLLECT_EVERY_SOCKETS = 5_000  # opened or closed since the last full collection


@dataclass
class _Sockets:
    settled: bool = False
    opened_since_freeze: int = 0
    changed_since_collect: int = 0


_sockets = _Sockets()


def settle_after_start_up() -> None:
    """Call once the process has imported and warmed up what it keeps for its lifetime."""
    gc.collect()
    gc.freeze()
    _sockets.settled = True


def socket_opened() -> None:
    if not _sockets.settled:
        return
    _sockets.opened_since_freeze += 1
    if _sockets.opened_since_freeze >= FREEZE_EVERY_OPENED:
        _sockets.opened_since_freeze = 0
        gc.collect()  # walks only what is not frozen yet; its garbage is freed, not frozen
        gc.freeze()
    _count_towards_collection()


def socket_closed() -> None:
    if _sockets.settled:
        _count_towards_collection()


def _count_towards_collection() -> None:
    _sockets.changed_since_collect += 1
    if _sockets.changed_since_collect >= COLLECT_EVERY_SOCKETS:
        _sockets.changed_since_collect = 0
        gc.unfreeze()
        gc.collect()
        gc.freeze()
