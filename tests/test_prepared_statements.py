"""Hand-written statements are prepared and planned once per connection
(onyx_site/postgresql/base.py); the ORM's queries are not."""

from typing import Any

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from procrastinate.contrib.django.utils import connector_params

from accounts.models import User
from chats import selectors
from chats.models import ChatSession
from onyx_site.postgresql.base import DatabaseWrapper, _PreparingCursor, _ServerBindingCursor
from tests.conftest import make_user

TITLES = ["Crème brûlée", "寿司の話", "🍕 night"]
CHAT_PAGE_MARK = "NOT p.archived"  # in chats.selectors._CHAT_PAGE, and nowhere else


def _prepared(cursor: Any, containing: str) -> list[tuple[int, int]]:
    cursor.execute(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
        " WHERE strpos(statement, %s) > 0",
        [containing],
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
def test_the_orms_queries_are_neither_prepared_nor_counted(alice: User) -> None:
    _chats_of(alice)
    for _ in range(3):
        selectors.chat_page(alice, offset=0, limit=20)
        assert ChatSession.objects.for_user(alice).count() == len(TITLES)
    with connection.cursor() as cursor:
        assert _prepared(cursor, "__count") == []
    # Preparing is on only while a prepared cursor runs: psycopg keeps no count (and no text)
    # of the ORM's statements.
    assert connection.connection.prepare_threshold is None


@pytest.mark.django_db
def test_prepared_statements_are_seen_by_query_logging_with_their_values(alice: User) -> None:
    _chats_of(alice)
    with CaptureQueriesContext(connection) as queries:
        selectors.chat_page(alice, offset=0, limit=20)
    [query] = queries.captured_queries
    assert CHAT_PAGE_MARK in query["sql"]
    assert f"p.owner_id = {alice.pk}" in query["sql"]
    assert "$1" not in query["sql"]


@pytest.mark.django_db
def test_django_connections_plan_generically_and_the_task_engines_do_not() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchall() == [("force_generic_plan",)]
    engine = connector_params("default")
    with psycopg.connect(**engine, autocommit=True) as raw:
        assert raw.prepare_threshold is None
        assert raw.execute("SHOW plan_cache_mode").fetchall() == [("auto",)]


def _new_connection(**options: Any) -> tuple[DatabaseWrapper, Any]:
    """A connection as the backend opens one, with these OPTIONS (and no pool)."""
    settings = connection.settings_dict
    kept = {name: value for name, value in settings["OPTIONS"].items() if name != "pool"}
    wrapper = DatabaseWrapper({**settings, "OPTIONS": {**kept, **options}}, alias="another")
    return wrapper, wrapper.get_new_connection(wrapper.get_connection_params())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "plans", "prepared"),
    [
        ({}, "force_generic_plan", 1),
        ({"prepare_threshold": None}, "auto", 0),  # for a pooler that cannot keep them
    ],
)
def test_preparing_is_on_unless_the_settings_turn_it_off(
    options: dict[str, Any], plans: str, prepared: int
) -> None:
    wrapper, raw = _new_connection(**options)
    with raw:
        raw.rollback()  # what the backend set is already committed
        assert raw.execute("SHOW plan_cache_mode").fetchall() == [(plans,)]
        kind = _PreparingCursor if wrapper._prepares else _ServerBindingCursor
        cursor = kind(raw)
        for _ in range(3):
            cursor.execute("SELECT %(word)s::text", {"word": "naïve 寿司 🍣"})
            assert cursor.fetchall() == [("naïve 寿司 🍣",)]
        assert len(_prepared(cursor, "SELECT $1::text")) == prepared


@pytest.mark.django_db(transaction=True)
def test_a_statement_prepared_before_a_migration_changed_its_columns_runs_again() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_probe (word varchar(40))")
        cursor.execute("INSERT INTO prepared_probe VALUES ('crème 寿司 🍣')")

    def read() -> list[tuple[Any, ...]]:
        with connection.prepared_cursor() as cursor:  # type: ignore[attr-defined]
            cursor.execute("SELECT word FROM prepared_probe WHERE %(one)s::int = 1", {"one": 1})
            return list(cursor.fetchall())

    try:
        assert read() == read() == [("crème 寿司 🍣",)]  # prepared by now
        with psycopg.connect(**connector_params("default"), autocommit=True) as migrating:
            migrating.execute("ALTER TABLE prepared_probe ALTER word TYPE text")
        assert read() == read() == [("crème 寿司 🍣",)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE prepared_probe")
