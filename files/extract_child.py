"""The sandboxed child that reads one file: `python -m files.extract_child KIND IN OUT LIMITS`.

It limits its own memory and CPU time before touching the file, writes the result (or the reason
it failed) as JSON to OUT, and exits. No Django: it starts in a fraction of a second.
"""

import json
import os
import resource
import sys
from dataclasses import asdict

from files.extraction import ExtractionError, Limits, extract_text
from onyx_site.process_ties import die_with_parent

EXIT_OK = 0
EXIT_REFUSED = 3  # an ExtractionError: OUT holds the reason
EXIT_OUT_OF_MEMORY = 4
EXIT_ORPHANED = 5


def _die_with_parent(parent_pid: int) -> None:
    """A worker killed with SIGKILL cannot end its child itself: ask the kernel to, so no
    orphan keeps reading (and holding CPU and memory) for a job that another worker now has."""
    die_with_parent()
    if os.getppid() != parent_pid:  # the parent died before the kernel was asked
        sys.exit(EXIT_ORPHANED)


def _limit(memory_bytes: int, cpu_seconds: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # SIGXCPU at the soft limit, SIGKILL one second later if it is ignored.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv: list[str]) -> int:
    kind, source, target, raw_limits = argv
    settings = json.loads(raw_limits)
    _die_with_parent(settings.pop("parent_pid"))
    _limit(settings.pop("memory_bytes"), settings.pop("cpu_seconds"))
    limits = Limits(**settings)
    try:
        with open(source, "rb") as stream:
            extracted = extract_text(kind, stream, limits)
    except ExtractionError as error:
        result, code = {"error": str(error)}, EXIT_REFUSED
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    else:
        result, code = asdict(extracted), EXIT_OK
    with open(target, "w", encoding="utf-8", errors="surrogatepass") as out:
        json.dump(result, out, ensure_ascii=False)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
