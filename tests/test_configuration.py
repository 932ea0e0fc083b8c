"""Production settings pass Django's deploy checks, and refuse to start without a real secret."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 20 + "-a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "onyx.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://onyx.example.com",
}


def _python(*args: str, extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
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
