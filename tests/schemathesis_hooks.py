"""Hooks for the schemathesis run of tests/test_api_schema.py, loaded by its command line from
this file: most generated ids become ids of objects the signed-in user owns, so operations on a
real chat, message, file or session are tried as well as ones on ids that do not exist. A DELETE
gets objects of its own, so the other operations keep theirs. Likewise most generated uploads
become text a file can hold, since random bytes are almost never a readable file.

Only values the schema allows are replaced, by others it allows: a request generated to be
invalid stays invalid."""

import json
import os
from collections import Counter
from typing import Any, TypeGuard

import schemathesis

# {"kept": {"chat": [ids], "message": [...], "file": [...]}, "doomed": {... "session": [...]}}:
# "doomed" for DELETEs, "kept" for every other operation (set by the test).
OWNED: dict[str, dict[str, list[Any]]] = json.loads(os.environ.get("ONYX_SCHEMA_OWNED_IDS", "{}"))
# The path segment before a parameter says what it names.
KIND_OF_SEGMENT = {"chats": "chat", "messages": "message", "files": "file", "sessions": "session"}
# Actions that only a question (edit) or only a reply (the others) can take: their message ids
# come from that kind alone, or most runs would never reach a success.
KIND_OF_MESSAGE_ACTION = {
    "edit": "question",
    "regenerate": "reply",
    "stop": "reply",
    "feedback": "reply",
}


def _kind(path: str, name: str) -> str:
    segments = path.strip("/").split("/")
    where = segments.index("{" + name + "}")
    kind = KIND_OF_SEGMENT.get(segments[where - 1], "") if where else ""
    action = segments[where + 1] if where + 1 < len(segments) else ""
    return KIND_OF_MESSAGE_ACTION.get(action, kind) if kind == "message" else kind


def _real_id(owned: list[Any], generated: Any, nth: int) -> Any:
    """The `nth` of `owned`, going round, in place of the generated value. Only a value of the
    ids' own type is replaced: a string generated for an integer id is a request meant to be
    refused, and must stay one."""
    if isinstance(generated, bool) or not isinstance(generated, int | str):
        return generated
    if not owned or not isinstance(generated, type(owned[0])):
        return generated
    return owned[nth % len(owned)]


# Requests made so far, by operation and part. Three in four get their ids (or upload) replaced,
# all of a request's ids together (a chat and a message of that chat); the fourth keeps what was
# generated, ids that mostly name nothing. Counted rather than read from the generated values:
# generation repeats values, and a run once gave every edit ids that kept the generated ones.
_REQUESTS_MADE: Counter[str] = Counter()


def _count(what: str) -> int:
    """How many requests `what` has had, this one included."""
    _REQUESTS_MADE[what] += 1
    return _REQUESTS_MADE[what]


@schemathesis.hook
def map_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    if not path_parameters:
        return path_parameters
    operation = context.operation
    nth = _count(f"{operation.label} path")
    if nth % 4 == 0:
        return path_parameters
    pool = OWNED["doomed" if operation.method.upper() == "DELETE" else "kept"]
    return {
        name: _real_id(pool.get(_kind(operation.path, name), []), value, nth)
        for name, value in path_parameters.items()
    }


def _is_int(value: Any) -> TypeGuard[int]:
    """A whole number a bigint id column holds, as the schema's int64 says."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


@schemathesis.hook
def map_body(context: Any, body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    path = context.operation.path
    message_id = body.get("message_id")
    if path.endswith("/branch/") and _is_int(message_id) and message_id > 0:
        nth = _count(f"{context.operation.label} body")
        if nth % 4 == 0:
            return body
        return {**body, "message_id": _real_id(OWNED["kept"]["message"], message_id, nth)}
    # Generated file contents come wrapped (schemathesis' Binary, a str holding `.data`).
    upload = getattr(body.get("file"), "data", None)
    if path == "/api/files/" and isinstance(upload, bytes) and _count("upload") % 4:
        # The same bytes, written as text: a different file for different bytes.
        as_text = f"Notiz 📝 {upload.hex()}\n".encode()
        return {**body, "file": type(body["file"])(as_text)}
    return body
