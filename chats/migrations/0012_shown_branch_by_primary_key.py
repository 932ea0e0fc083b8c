"""chats_shown_branch() walks up the branch message by message, each found by its id.

As a join of the chat's messages with the walk, its plan (made once for every value, from the
average chat) could read every message of a long chat at each step: 145 ms for a page of 50 in
a 10,000-message chat, where most chats are short. `OFFSET 0` keeps the step a subquery that
PostgreSQL cannot merge into such a join, so each step is one lookup by primary key. The rest of
the function is as migration 0009 wrote it.
"""

import importlib

from django.db import migrations

_BEFORE = importlib.import_module("chats.migrations.0009_shown_branch_function")

STEP_AS_A_JOIN = """
        FROM chats_chatmessage AS m JOIN branch AS b ON m.id = b.parent_id
        WHERE b.depth < p_limit AND m.owner_id = p_owner AND m.chat_id = p_chat
"""
STEP_BY_PRIMARY_KEY = """
        FROM branch AS b CROSS JOIN LATERAL (
            SELECT one.id, one.chat_id, one.parent_id, one.owner_id, one.role, one.content,
                one.status, one.error, one.model_name, one.prompt_tokens, one.completion_tokens,
                one.client_id, one.feedback, one.feedback_comment, one.citations, one.created_at
            FROM chats_chatmessage AS one WHERE one.id = b.parent_id OFFSET 0
        ) AS m
        WHERE b.depth < p_limit AND m.owner_id = p_owner AND m.chat_id = p_chat
"""


def _replacing(function: str) -> str:
    return function.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


if STEP_AS_A_JOIN not in _BEFORE.CREATE:
    raise RuntimeError("Migration 0009's function is not the one this migration rewrites.")
BY_PRIMARY_KEY = _replacing(_BEFORE.CREATE.replace(STEP_AS_A_JOIN, STEP_BY_PRIMARY_KEY))
AS_A_JOIN = _replacing(_BEFORE.CREATE)


class Migration(migrations.Migration):
    dependencies = [("chats", "0011_drop_chat_owner_updated")]

    operations = [migrations.RunSQL(BY_PRIMARY_KEY, AS_A_JOIN)]
