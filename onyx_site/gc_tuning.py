"""Garbage collection for a long-running process: what it built at start-up is left out of
every later collection, and collections come less often.

With Python's defaults a full collection of a web process took ~80 ms at start (it walks every
object: Django, the libraries, the caches) and grew to ~800 ms with 5,000 sockets open; under
load one ran about once a second, and those pauses were the p99 of every request. Freezing the
start-up heap makes a full collection walk only what came later, and a larger young generation
lets the garbage of a request die young instead of being promoted with the requests still in
flight, so full collections become rare (bench/sockets.py; `make bench BENCH_ARGS=--long`).
"""

import gc

# Objects allocated (less those freed) before a young collection, and young collections per
# middle one, middle ones per full one. Python's defaults: 700, 10, 10.
THRESHOLDS = (10_000, 20, 100)


def settle_after_start_up() -> None:
    """Call once the process has imported and warmed up what it keeps for its lifetime."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
