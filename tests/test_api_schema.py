"""The API keeps its OpenAPI schema: schemathesis generates requests from /api/schema/ and sends
them to a real uvicorn serving the app, as a user who owns chats, messages, files and sessions.

No answer may be a server error, and each must be as the schema says: a documented status, a
documented Content-Type, a body of the documented shape; input the schema calls invalid must be
refused. And the run must mean something: every operation answered with success at least once.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from drf_spectacular.generators import SchemaGenerator

from accounts import session_registry
from accounts.models import User
from files.models import FileChunk, UserFile
from tests.asgi_server import running_asgi_server
from tests.conftest import PASSWORD, make_user
from tests.factories import add_message, make_chat

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
]
# Examples per operation and phase: enough to reach every answer, bounded for a 2-core CI.
MAX_EXAMPLES = 10
# Generated credentials and refresh tokens are never real ones; the run signs in by itself.
NEVER_SUCCEEDS = {"POST /api/auth/token/", "POST /api/auth/token/refresh/"}


def _stored_file(owner: User, name: str, text: str, **fields: Any) -> UserFile:
    data = text.encode()
    file = UserFile.objects.create(
        owner=owner,
        name=name,
        storage_name=default_storage.save(f"schema/{name}", ContentFile(data)),
        size=len(data),
        kind="text",
        content_type="text/plain",
        sha256=os.urandom(32).hex(),
        **{"status": UserFile.Status.READY, **fields},
    )
    FileChunk.objects.create(owner=owner, file=file, index=0, text=text)
    return file


def _owned_things(alice: User) -> dict[str, dict[str, list[Any]]]:
    """Alice's objects: a chat with a question and a finished reply, a file read and one whose
    reading failed, and a few of each kind for the DELETEs to remove."""
    chat = make_chat(owner=alice, title="Reiseplan ✈️ 旅行")
    question = add_message(chat, "user", "Wann fährt der Zug? 🚆")
    reply = add_message(chat, "assistant", "Um **8:30** ab Gleis 3.")
    ready = _stored_file(alice, "Fahrplan 時刻表.txt", "Le train part à 8 h 30. 列車は8時半です。")
    failed = _stored_file(alice, "kaputt.txt", "x", status=UserFile.Status.FAILED, error="Oops.")
    doomed_sessions = [
        session_registry.start_session(
            user_id=alice.pk, kind="api", ip="127.0.0.1", user_agent=f"device {n}"
        ).sid
        for n in range(5)
    ]
    return {
        "kept": {
            "chat": [chat.pk],
            "message": [question.pk, reply.pk],
            "question": [question.pk],
            "reply": [reply.pk],
            "file": [ready.pk, failed.pk],
        },
        "doomed": {
            "chat": [make_chat(owner=alice, title=f"Alt {n}", messages=2).pk for n in range(5)],
            "file": [_stored_file(alice, f"alt-{n}.txt", f"Alt {n} 🗑️").pk for n in range(5)],
            "session": doomed_sessions,
        },
    }


def _config(url: str, owner: User, har: Path) -> str:
    """schemathesis.toml: the checks, the bound, and signing in as `owner` (again whenever an
    answer is 401, since the run also signs out and ends sessions)."""
    return "\n".join(
        [
            f'base-url = "{url}"',
            "[cache]",
            "enabled = false",
            "[generation]",
            f"max-examples = {MAX_EXAMPLES}",
            'database = "none"',
            "[checks]",
            "enabled = false",
            *[f"{name}.enabled = true" for name in CHECKS],
            "[auth.dynamic.openapi.jwtAuth]",
            'path = "/api/auth/token/"',
            f'payload = {{ email = "{owner.email}", password = "{PASSWORD}" }}',
            'extract_selector = "/access"',
            "[reports.har]",
            "enabled = true",
            f'path = "{har}"',
        ]
    )


def _answered_with_success(har: Path, operations: list[str]) -> set[str]:
    """The operations that answered a request of the HAR report with a 2xx."""
    # Literal paths first: /api/chats/search/ is not /api/chats/{id}/.
    templates = sorted({op.split(" ")[1] for op in operations}, key=lambda p: p.count("{"))
    patterns = [
        (path, re.compile("^" + re.sub(r"\\{\w+\\}", "[^/]+", re.escape(path)) + "$"))
        for path in templates
    ]
    succeeded = set()
    for entry in json.loads(har.read_text())["log"]["entries"]:
        if not 200 <= entry["response"]["status"] < 300:
            continue
        path = "/" + entry["request"]["url"].split("/", 3)[3].split("?")[0]
        template = next((t for t, pattern in patterns if pattern.match(path)), None)
        if template is not None:
            succeeded.add(f"{entry['request']['method']} {template}")
    return succeeded


@pytest.mark.usefixtures("worker")
def test_the_api_answers_as_its_schema_says(
    transactional_db: None, tmp_path: Path, settings: Any
) -> None:
    # Generated sign-ins fail by the hundred: the run's own sign-in must not be locked out, and
    # each would cost an Argon2 hash (hashing is not what this test is about).
    settings.AXES_FAILURE_LIMIT = 100_000
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Replies are written as fast as the run sends them; their limits have tests of their own.
    settings.ONYX_SEND_RATE_PER_MINUTE = 100_000
    settings.ONYX_MAX_CONCURRENT_REPLIES = 1_000
    alice = make_user("alice@example.com")
    owned = _owned_things(alice)
    config, har = tmp_path / "schemathesis.toml", tmp_path / "requests.har"
    with running_asgi_server() as url:
        config.write_text(_config(url, alice, har))
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "--no-color",
                f"--config-file={config}",
                "run",
                f"{url}/api/schema/?format=json",
                "--workers=1",  # CPython 3.11.7 can fail ast.parse in two threads at once
                f"--report-dir={tmp_path}",
            ],
            cwd=tmp_path,  # anything it writes stays out of the repository
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": str(Path(__file__).with_name("schemathesis_hooks.py")),
                "ONYX_SCHEMA_OWNED_IDS": json.dumps(owned),
            },
        )
    print(run.stdout)  # the summary, shown with -rP or when the test fails
    assert run.returncode == 0, run.stdout + run.stderr
    operations = _operations()
    assert len(operations) >= 25
    assert set(operations) - _answered_with_success(har, operations) == NEVER_SUCCEEDS


def _operations() -> list[str]:
    """'METHOD /path/{param}/' of every operation of the schema."""
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    return [f"{method.upper()} {path}" for path, methods in paths.items() for method in methods]
