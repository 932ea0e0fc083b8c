"""Hooks for the schemathesis run of tests/test_api_schema.py, loaded by its command line from
this file: most generated ids become ids of objects the signed-in user owns, so operations on a
real chat, message, file or session are tried as well as ones on ids that do not exist. A DELETE
gets objects of its own, so the other operations keep theirs."""

import json
import os
from typing import Any

import schemathesis

# {"chat": [...], "message": [...], "file": [...], "session": [...]} for most operations and
# the same under "doomed" for DELETE (set by the test).
OWNED: dict[str, dict[str, list[Any]]] = json.loads(os.environ.get("ONYX_SCHEMA_OWNED_IDS", "{}"))
# The path segment before a parameter says what it names.
KIND_OF_SEGMENT = {"chats": "chat", "messages": "message", "files": "file", "sessions": "session"}


def _kind(path: str, name: str) -> str:
    segments = path.strip("/").split("/")
    where = segments.index("{" + name + "}")
    return KIND_OF_SEGMENT.get(segments[where - 1], "") if where else ""


def _real_id(owned: list[Any], generated: Any) -> Any:
    """Three generated values in four become one of `owned`; the fourth stays as it is."""
    if isinstance(generated, bool) or not isinstance(generated, int | str):
        return generated
    key = generated if isinstance(generated, int) else len(generated)
    if not owned or key % 4 == 0:
        return generated
    return owned[key % len(owned)]


@schemathesis.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    if not path_parameters:
        return path_parameters
    operation = context.operation
    pool = OWNED["doomed" if operation.method.upper() == "DELETE" else "kept"]
    return {
        name: _real_id(pool.get(_kind(operation.path, name), []), value)
        for name, value in path_parameters.items()
    }
