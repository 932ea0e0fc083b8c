"""Ownership is structural: user data is only ever reached through for_user().

The check reads the app's source (it writes nothing) and fails on any other way in: a manager
method other than for_user/create, get_object_or_404 on a model class, a related manager of an
owned model, or prefetch_related naming an owned relation without a scoped Prefetch.
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from chats.models import ChatSession

ROOT = Path(__file__).resolve().parent.parent
OWNED_MODELS = {"ChatSession", "ChatMessage", "UserFile", "FileChunk"}
ALLOWED_FILES = {"admin.py"}
# Creating a row names its owner explicitly; that is not a lookup.
ALLOWED_METHODS = {
    "for_user",
    "one_for_user",
    "raw_for_user",
    "rows_for_user",
    "create",
    "bulk_create",
}
# Changing what a relation holds is a write, given rows already scoped with for_user().
RELATION_WRITES = {"set", "add", "remove", "clear"}
SHORTCUTS = {"get_object_or_404", "get_list_or_404"}


def _owned_relation_names() -> set[str]:
    """Names under which one model reaches rows of an owned model (forward many-to-many and
    reverse relations), as `chat.files.all()` would."""
    names = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            related = getattr(field, "related_model", None)
            if related is None or related.__name__ not in OWNED_MODELS:
                continue
            if field.many_to_many or field.one_to_many:
                accessor = (
                    field.get_accessor_name()  # type: ignore[union-attr]
                    if field.auto_created
                    else field.name
                )
                if accessor and not accessor.endswith("+"):
                    names.add(accessor)
    return names


# Every way Django names a model's manager.
MANAGERS = {"objects", "_default_manager", "_base_manager"}


def _unscoped_uses(source: str, where: str, relations: set[str]) -> list[str]:
    found: list[tuple[int, str]] = []
    tree = ast.parse(source, filename=where)
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in MANAGERS
            and isinstance(node.value, ast.Name)
            and node.value.id in OWNED_MODELS
        ):
            # The manager itself, named by what is called on it (nothing: it is kept or passed).
            parent = parents.get(node)
            called = parent.attr if isinstance(parent, ast.Attribute) else None
            if called not in ALLOWED_METHODS:
                manager = f"{node.value.id}.{node.attr}"
                found.append((node.lineno, f"{manager}.{called}" if called else manager))
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in relations
            and node.attr not in RELATION_WRITES
        ):
            found.append((node.lineno, f"related manager .{node.value.attr}.{node.attr}"))
        elif isinstance(node, ast.Call):
            name = (
                node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            )
            first = node.args[0] if node.args else None
            if name in SHORTCUTS and isinstance(first, ast.Name) and first.id in OWNED_MODELS:
                found.append((node.lineno, f"{name}({first.id}, …)"))
            if name == "prefetch_related":
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and str(arg.value).split("__")[0] in relations:
                        found.append((node.lineno, f"prefetch_related({arg.value!r})"))
    return [f"{where}:{line} {what}" for line, what in sorted(found)]


def test_no_app_code_reaches_user_data_without_for_user() -> None:
    relations = _owned_relation_names()
    app_files = [
        path
        for app in ("accounts", "chats", "files", "onyx_site")
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path.name not in ALLOWED_FILES
    ]
    assert app_files
    offenders = [
        use
        for path in app_files
        for use in _unscoped_uses(path.read_text(), str(path.relative_to(ROOT)), relations)
    ]
    assert offenders == []


def test_the_check_catches_every_way_around_for_user() -> None:
    relations = _owned_relation_names()
    assert "files" in relations  # ChatSession.files, the files a chat answers from
    sample = "\n".join(
        [
            "ChatMessage.objects.filter(pk=1)",
            "ChatSession.objects.all()",
            "get_object_or_404(UserFile, pk=3)",
            "chat.files.all()",
            "ChatSession.objects.for_user(u).prefetch_related('files')",
            "ChatMessage._default_manager.all()",
            "UserFile._base_manager.get(pk=4)",
            "every_file = UserFile.objects",
            # Allowed: scoped lookups and creation.
            "get_object_or_404(ChatSession.objects.for_user(u), pk=1)",
            "ChatMessage.objects.for_user(u).filter(chat=c)",
            "ChatMessage.objects.create(owner=u, chat=c)",
        ]
    )
    found = _unscoped_uses(sample, "sample.py", relations)
    assert [use.split(" ", 1)[1] for use in found] == [
        "ChatMessage.objects.filter",
        "ChatSession.objects.all",
        "get_object_or_404(UserFile, …)",
        "related manager .files.all",
        "prefetch_related('files')",
        "ChatMessage._default_manager.all",
        "UserFile._base_manager.get",
        "UserFile.objects",
    ]


# The one place hand-written statements reach owned rows (OwnedQuerySet's raw_for_user and
# rows_for_user, which require the owner as a condition), and the readiness probe's statement,
# which reads no rows. raw() on a for_user() queryset would keep none of its filter.
CURSOR_USERS = {"onyx_site/ownership.py", "onyx_site/health.py"}


def test_only_the_owned_rows_helper_opens_a_cursor() -> None:
    opened = []
    for app in ("accounts", "chats", "files", "onyx_site"):
        for path in (ROOT / app).rglob("*.py"):
            where = str(path.relative_to(ROOT))
            if "migrations" in path.parts or where in CURSOR_USERS:
                continue
            opened += [
                f"{where}:{node.lineno}"
                for node in ast.walk(ast.parse(path.read_text(), filename=where))
                if isinstance(node, ast.Attribute) and node.attr in ("cursor", "raw")
            ]
    assert opened == []


@pytest.mark.django_db
def test_hand_written_statements_only_ever_reach_the_users_own_rows(
    alice: User, bob: User, alice_chat: ChatSession, bob_chat: ChatSession
) -> None:
    chats = ChatSession.objects
    assert chats.one_for_user(alice, alice_chat.pk) == alice_chat
    for who, pk in [(alice, bob_chat.pk), (AnonymousUser(), alice_chat.pk), (alice, 2**63)]:
        with pytest.raises(ChatSession.DoesNotExist):
            chats.one_for_user(who, pk)
    by_title = f"SELECT title FROM {ChatSession._meta.db_table} WHERE owner_id = %(owner)s"
    assert chats.rows_for_user(bob, by_title, {}) == [(bob_chat.title,)]
    assert chats.rows_for_user(AnonymousUser(), by_title, {}) == []
    unlimited = f"SELECT title FROM {ChatSession._meta.db_table}"
    with pytest.raises(ValueError, match="owner"):
        chats.rows_for_user(alice, unlimited, {})
    with pytest.raises(ValueError, match="owner"):
        chats.raw_for_user(alice, f"SELECT * FROM {ChatSession._meta.db_table}", {})
