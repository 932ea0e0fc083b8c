"""Ownership is structural: user data is only ever reached through for_user()."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OWNED_MODELS = {"ChatSession", "ChatMessage", "UserFile", "FileChunk"}
ALLOWED_FILES = {"admin.py"}
# Creating a row names its owner explicitly; that is not a lookup.
ALLOWED_METHODS = {"for_user", "create", "bulk_create"}


def _unscoped_uses(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "objects"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id in OWNED_MODELS
            and node.attr not in ALLOWED_METHODS
        ):
            found.append(
                f"{path.relative_to(ROOT)}:{node.lineno} {node.value.value.id}.objects.{node.attr}"
            )
    return found


def test_no_app_code_reaches_user_data_without_for_user() -> None:
    app_files = [
        path
        for app in ("accounts", "chats", "files", "onyx_site")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path.name not in ALLOWED_FILES
    ]
    assert app_files
    offenders = [use for path in app_files for use in _unscoped_uses(path)]
    assert offenders == []


def test_the_check_itself_catches_an_unscoped_lookup(tmp_path: Path) -> None:
    sample = ROOT / "tests" / "_ownership_sample.py"
    sample.write_text("ChatMessage.objects.filter(pk=1)\nChatSession.objects.all()\n")
    try:
        assert len(_unscoped_uses(sample)) == 2
    finally:
        sample.unlink()
