"""Data migrations, run for real on PostgreSQL from the schema before them."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_BRANCHES = ("chats", "0003_chatmessage_job_id_chatmessage_message_unfinished")


@pytest.fixture
def migrator(transactional_db: None) -> Iterator[Any]:
    """Migrate chats to a target and back to the latest state afterwards."""

    def migrate(target: tuple[str, str]) -> Any:
        executor = MigrationExecutor(connection)
        executor.migrate([target])
        return executor.loader.project_state([target]).apps

    yield migrate
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("chats"))


def test_linear_history_and_regenerated_replies_become_branches(migrator: Any) -> None:
    old = migrator(BEFORE_BRANCHES)
    user = old.get_model("accounts", "User").objects.create(email="old@example.com", password="x")
    chat_model = old.get_model("chats", "ChatSession")
    message_model = old.get_model("chats", "ChatMessage")
    chat = chat_model.objects.create(owner=user, title="Before branches")
    empty_chat = chat_model.objects.create(owner=user)

    def add(role: str, content: str, **extra: Any) -> int:
        message = message_model.objects.create(
            chat=chat, owner=user, role=role, content=content, status="done", **extra
        )
        return int(message.pk)

    q1 = add("user", "Name a tree")
    a1_old = add("assistant", "An oak.", superseded=True, reply_to_id=q1)
    a1 = add("assistant", "A birch.", reply_to_id=q1)  # the regeneration
    q2 = add("user", "Where? 木")
    a2 = add("assistant", "Europe 🌍", reply_to_id=q2)

    new = migrator(("chats", "0006_drop_reply_to_and_superseded"))
    messages = new.get_model("chats", "ChatMessage").objects
    parents = dict(messages.filter(chat_id=chat.pk).values_list("pk", "parent_id"))
    assert parents == {q1: None, a1_old: q1, a1: q1, q2: a1, a2: q2}
    chats = new.get_model("chats", "ChatSession").objects
    assert chats.get(pk=chat.pk).active_leaf_id == a2
    assert chats.get(pk=empty_chat.pk).active_leaf_id is None
