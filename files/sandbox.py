"""Read a stored file in a child process with memory and CPU-time limits.

The worker copies the bytes from storage (disk or S3) to a private temporary file, starts
`python -m files.extract_child` on it, and waits; a child that passes its limits is ended by the
kernel (RLIMIT_AS, RLIMIT_CPU) or, past the wall-clock timeout, by us. Whatever happens, the
caller gets either the text or an ExtractionError with a reason a person understands.
"""

import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage

from files.extract_child import EXIT_OK, EXIT_OUT_OF_MEMORY, EXIT_REFUSED
from files.extraction import ExtractedText, ExtractionError, Limits

TOO_SLOW = "Reading this file took longer than the {seconds} s allowed; it may be too complex."
TOO_BIG = "Reading this file needs more than the {mb} MB of memory allowed; it may be too complex."
CRASHED = "The reader stopped unexpectedly on this file, so it can't be read."


def limits() -> Limits:
    return Limits(
        pages=settings.ONYX_EXTRACT_MAX_PAGES,
        rows=settings.ONYX_EXTRACT_MAX_ROWS,
        paragraphs=settings.ONYX_EXTRACT_MAX_PARAGRAPHS,
        chars=settings.ONYX_EXTRACT_MAX_CHARS,
    )


def _copy_from_storage(storage_name: str, target: Path) -> None:
    with default_storage.open(storage_name, "rb") as source, target.open("wb") as out:
        shutil.copyfileobj(source, out, length=1024 * 1024)


async def extract_stored_file(storage_name: str, kind: str) -> ExtractedText:
    with tempfile.TemporaryDirectory(prefix="onyx-extract-") as workdir:
        source, target = Path(workdir) / "input", Path(workdir) / "output.json"
        await asyncio.to_thread(_copy_from_storage, storage_name, source)
        return await extract_in_child(kind, source, target)


def _read_result(target: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(target.read_text(encoding="utf-8", errors="surrogatepass"))
    return result


async def extract_in_child(kind: str, source: Path, target: Path) -> ExtractedText:
    cpu_seconds = settings.ONYX_EXTRACT_CPU_SECONDS
    memory_mb = settings.ONYX_EXTRACT_MEMORY_MB
    child_limits = {
        **asdict(limits()),
        "memory_bytes": memory_mb * 1024 * 1024,
        "cpu_seconds": cpu_seconds,
        "parent_pid": os.getpid(),
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "files.extract_child",
        kind,
        str(source),
        str(target),
        json.dumps(child_limits),
        cwd=settings.BASE_DIR,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(settings.BASE_DIR)},
    )
    try:
        # Waiting on a pipe, not on CPU: time asleep or blocked on I/O is bounded here.
        _, stderr = await asyncio.wait_for(child.communicate(), timeout=cpu_seconds * 2 + 5)
    except TimeoutError:
        child.kill()
        await child.wait()
        raise ExtractionError(TOO_SLOW.format(seconds=cpu_seconds)) from None
    except asyncio.CancelledError:
        child.kill()
        await child.wait()
        raise
    code = child.returncode
    if code in (EXIT_OK, EXIT_REFUSED):
        result = await asyncio.to_thread(_read_result, target)
        if code == EXIT_REFUSED:
            raise ExtractionError(result["error"])
        return ExtractedText(**result)
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        raise ExtractionError(TOO_SLOW.format(seconds=cpu_seconds))
    if code == EXIT_OUT_OF_MEMORY or b"MemoryError" in (stderr or b""):
        raise ExtractionError(TOO_BIG.format(mb=memory_mb))
    raise ExtractionError(CRASHED)
