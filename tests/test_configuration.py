"""Production settings pass Django's deploy checks; a missing secret or a bad value stops
start-up with a message naming the variable."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 20 + "-a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "onyx.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://onyx.example.com",
}


def _python(*args: str, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Python in the repository with the test run's environment, less DEBUG and SECRET_KEY and
    any variable `extra_env` sets, plus `extra_env`."""
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", *extra_env}}
    env.update(extra_env)
    env["DJANGO_SETTINGS_MODULE"] = "onyx_site.settings"
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _manage(*args: str, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _python("manage.py", *args, extra_env=extra_env)


def test_deploy_check_is_clean_under_production_settings() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", extra_env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _manage("check", extra_env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_bad_boolean_is_refused_at_start_up() -> None:
    result = _manage("check", extra_env={**PRODUCTION, "ONYX_ALLOW_SIGNUP": "maybe"})
    assert result.returncode != 0
    assert "ONYX_ALLOW_SIGNUP must be true or false, not 'maybe'." in result.stderr


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"ONYX_MAX_UPLOAD_MB": "lots"}, "ONYX_MAX_UPLOAD_MB must be a whole number, not 'lots'."),
        (
            {"ONYX_LLM_READ_TIMEOUT": "2 minutes"},
            "ONYX_LLM_READ_TIMEOUT must be a number, not '2 minutes'.",
        ),
        ({"DATABASE_POOL_MIN": "0"}, "DATABASE_POOL_MIN must be at least 1 and at most"),
        ({"ONYX_SESSION_IDLE_MINUTES": "-5"}, "ONYX_SESSION_IDLE_MINUTES must be 0 (off)"),
        (
            {"ONYX_LLM_BASE_URL": "http://127.0.0.1:11434/v1"},
            "ONYX_LLM_MODEL must name a model when ONYX_LLM_BASE_URL is set.",
        ),
        ({"ONYX_MAX_CONCURRENT_REPLIES": "0"}, "ONYX_MAX_CONCURRENT_REPLIES must be at least 1."),
        ({"ONYX_MAX_REQUEST_KB": "10"}, "ONYX_MAX_REQUEST_KB must be at least 64"),
        (
            {"ONYX_WORKER_HEARTBEAT_SECONDS": "6"},
            "ONYX_WORKER_STALLED_SECONDS must be more than twice ONYX_WORKER_HEARTBEAT_SECONDS.",
        ),
        ({"DEBUG": "yes"}, "DEBUG must be true or false, not 'yes'."),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else "",
)
def test_a_bad_setting_stops_start_up_with_a_message_naming_it(
    bad: dict[str, str], message: str
) -> None:
    # Reading the settings is the start-up step that refuses them; no app needs to load.
    result = _python("-c", "import onyx_site.settings", extra_env={**PRODUCTION, **bad})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr, result.stderr[-2000:]


COLLECT_INTO = """
import sys, django
django.setup()
from django.conf import settings
settings.STATIC_ROOT = sys.argv[1]
from django.core.management import call_command
call_command("collectstatic", "--noinput", "-v0")
"""


def test_collected_modules_import_each_other_by_their_hashed_names(tmp_path: Path) -> None:
    # A page loads hashed module URLs; an import of an unhashed name would load a second copy
    # of the same module (a second socket, every toast twice).
    result = _python("-c", COLLECT_INTO, str(tmp_path), extra_env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    chat_module = next(path for path in (tmp_path / "js").glob("chat.*.js"))
    imports = [line for line in chat_module.read_text().splitlines() if line.startswith("import")]
    assert imports
    assert all(re.search(r'from "\./\w+\.[0-9a-f]{12}\.js";', line) for line in imports), imports
