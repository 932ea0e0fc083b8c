"""Hand-written statements are prepared and planned once per connection
(onyx_site/postgresql/base.py); the ORM's queries are not."""

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from procrastinate.contrib.django.utils import connector_params

from accounts.models import User
from chats import selectors
from chats.models import ChatSession
from onyx_site.postgresql.base import DatabaseWrapper, _ServerBindingCursor
from tests.conftest import make_user

TITLES = ["Crème brûlée", "寿司の話", "🍕 night"]
CHAT_PAGE_MARK = "NOT p.archived"  # in chats.selectors._CHAT_PAGE, and nowhere else


def _prepared(cursor: Any, containing: str) -> list[tuple[int, int]]:
    cursor.execute(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
        [f"%{containing}%"],
    )
    return cursor.fetchall()


def _chats_of(user: User) -> None:
    for title in TITLES:
        ChatSession.objects.create(owner=user, title=title)


@pytest.mark.django_db
def test_the_chat_list_is_prepared_once_and_planned_once(alice: User) -> None:
    _chats_of(alice)
    for _ in range(3):
        rows, total = selectors.chat_page(alice, offset=0, limit=20)
        assert sorted(row.title for row in rows) == sorted(TITLES)
        assert total == len(TITLES)
    with connection.cursor() as cursor:
        assert _prepared(cursor, CHAT_PAGE_MARK) == [(3, 0)]


@pytest.mark.django_db
def test_a_user_id_past_a_small_integer_gets_its_own_rows() -> None:
    """psycopg sends a small id as a smallint; a large one is another prepared statement."""
    small = make_user("small@example.com")
    large = User.objects.create_user(id=2**40, email="large@example.com", password="x" * 20)
    _chats_of(small)
    ChatSession.objects.create(owner=large, title="Ünïcode 大 🚀")
    assert [row.title for row in selectors.chat_page(small, offset=0, limit=20)[0]] != []
    rows, total = selectors.chat_page(large, offset=0, limit=20)
    assert [row.title for row in rows] == ["Ünïcode 大 🚀"]
    assert total == 1
    with connection.cursor() as cursor:
        assert len(_prepared(cursor, CHAT_PAGE_MARK)) == 2


@pytest.mark.django_db
def test_the_orms_queries_are_not_prepared(alice: User) -> None:
    _chats_of(alice)
    for _ in range(3):
        assert ChatSession.objects.for_user(alice).count() == len(TITLES)
    with connection.cursor() as cursor:
        assert _prepared(cursor, "__count") == []


@pytest.mark.django_db
def test_prepared_statements_are_seen_by_query_logging(alice: User) -> None:
    _chats_of(alice)
    with CaptureQueriesContext(connection) as queries:
        selectors.chat_page(alice, offset=0, limit=20)
    [query] = queries.captured_queries
    assert CHAT_PAGE_MARK in query["sql"]


@pytest.mark.django_db
def test_django_connections_prepare_and_the_task_engines_are_left_as_they_were() -> None:
    connection.ensure_connection()
    assert connection.connection.prepare_threshold == 0
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchall() == [("force_generic_plan",)]
    engine = connector_params("default")
    assert engine["prepare_threshold"] is None
    assert "plan_cache_mode" not in engine.get("options", "")


def _new_connection(**options: Any) -> Any:
    """A connection as the backend opens one, with these OPTIONS (and no pool)."""
    settings = connection.settings_dict
    kept = {name: value for name, value in settings["OPTIONS"].items() if name != "pool"}
    wrapper = DatabaseWrapper({**settings, "OPTIONS": {**kept, **options}}, alias="another")
    return wrapper.get_new_connection(wrapper.get_connection_params())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "threshold", "plans", "prepared"),
    [
        ({}, 0, "force_generic_plan", 1),
        ({"prepare_threshold": None}, None, "auto", 0),  # for a pooler that cannot keep them
    ],
)
def test_preparing_is_on_unless_the_settings_turn_it_off(
    options: dict[str, Any], threshold: int | None, plans: str, prepared: int
) -> None:
    with _new_connection(**options) as raw:
        assert raw.prepare_threshold == threshold
        assert raw.execute("SHOW plan_cache_mode").fetchall() == [(plans,)]
        cursor = _ServerBindingCursor(raw)
        for _ in range(3):
            cursor.execute("SELECT %(word)s::text", {"word": "naïve 寿司 🍣"})
            assert cursor.fetchall() == [("naïve 寿司 🍣",)]
        assert len(_prepared(cursor, "SELECT $1::text")) == prepared
