"""A page reads rows in proportion to the page, not to how much its owner has, under the plan
each hand-written statement keeps for its connection (onyx_site/postgresql/base.py).

That plan is made once for every value, from the average chat and the average owner. Here most
users have little, as in any real deployment, and one has a long chat, many chats and many files:
a plan that joins through "all of the chat's messages" or "all of the owner's files" looks cheap
on average and costs that user thousands of rows a request. PostgreSQL counts the rows each
transaction reads (pg_stat_xact_user_tables), so the test needs no timing.
"""

import pytest
from django.db import connection

from accounts.models import User
from chats import branches, selectors
from chats.models import ChatSession
from tests.factories import add_turns, many_files

LONG_CHAT = 400
CHATS = 300
FILES = 300
PAGE = 50
CONTENT = "Message {n}: crème brûlée, 寿司, 🍣"


def _rows_read() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(coalesce(idx_tup_fetch, 0) + seq_tup_read)::int"
            " FROM pg_stat_xact_user_tables"
            " WHERE relname LIKE 'chats\\_%%' OR relname LIKE 'files\\_%%'"
        )
        return cursor.fetchone()[0] or 0


def _read_by(call: object) -> int:
    before = _rows_read()
    assert callable(call)
    call()
    return _rows_read() - before


@pytest.fixture
def heavy(db: None) -> User:
    """One user with a 400-message chat, 300 chats and 300 files, among 150 who have two small
    chats and two files each; statistics taken, as autovacuum would."""
    others = User.objects.bulk_create(
        User(email=f"light{n}@example.com", password="!") for n in range(150)
    )
    for other in others:
        for title in ("Petit chat ☕", "小さい 🍵"):
            small = ChatSession.objects.create(owner=other, title=title)
            add_turns(small, 2, question=CONTENT, answer=CONTENT)
        many_files(other, 2, name="light café 資料 {n} 📄.txt")
    user = User.objects.create(email="heavy@example.com", password="!")
    chats = ChatSession.objects.bulk_create(
        ChatSession(owner=user, title=f"Chat {n} — ünïcode 漢字 ✨") for n in range(CHATS)
    )
    files = many_files(user, FILES, name="heavy café 資料 {n} 📄.txt")
    for chat in chats:
        chat.files.add(*files[chat.pk % 7 : chat.pk % 7 + 2])
    long_chat = ChatSession.objects.create(owner=user, title="Long 長い 📜")
    add_turns(long_chat, LONG_CHAT, question=CONTENT, answer=CONTENT)
    with connection.cursor() as cursor:
        # Its row and page counts outlive the test's rollback (PostgreSQL writes them in place):
        # later tests may get other plans, so none may depend on a plan's row order.
        cursor.execute("ANALYZE")
        # The plan every statement gets once prepared (onyx_site/postgresql/base.py), here even
        # with DATABASE_PREPARED_STATEMENTS=false: PL/pgSQL functions keep theirs anyway.
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    return user


@pytest.mark.django_db
def test_a_page_of_a_long_chat_reads_the_page_not_the_chat(heavy: User) -> None:
    chat = ChatSession.objects.for_user(heavy).get(title="Long 長い 📜")
    for _ in range(2):  # the first use prepares the statement; the plan kept is the second's
        read = _read_by(lambda: branches.chat_branch_json(heavy, chat_id=chat.pk, limit=PAGE))
    page = branches.chat_branch_json(heavy, chat_id=chat.pk, limit=PAGE)
    newest_first = range(LONG_CHAT - 1, LONG_CHAT - PAGE - 1, -1)
    assert [m.content for m in page.messages] == [
        CONTENT.replace("{n}", str(n)) for n in newest_first
    ]
    assert page.older
    # Each message of the page and its versions; the whole chat would be 400 per message.
    assert read <= 3 * (PAGE + 1) + 5

    oldest_shown = page.messages[-1].pk
    for _ in range(2):  # the next page, from a cursor: its message too is found by its id
        read = _read_by(
            lambda: branches.chat_branch_json(
                heavy, chat_id=chat.pk, limit=PAGE, before_id=oldest_shown
            )
        )
    older = branches.chat_branch_json(heavy, chat_id=chat.pk, limit=PAGE, before_id=oldest_shown)
    assert older.messages[0].content == CONTENT.replace("{n}", str(LONG_CHAT - PAGE - 1))
    assert read <= 3 * (PAGE + 1) + 5


@pytest.mark.django_db
def test_the_chat_list_reads_the_files_of_its_page_not_all_of_the_owners(heavy: User) -> None:
    for _ in range(2):
        read = _read_by(lambda: selectors.chat_page(heavy, offset=0, limit=20))
    rows, total = selectors.chat_page(heavy, offset=0, limit=20)
    assert total == CHATS + 1
    assert all(len(row.attached_files) == 2 for row in rows if row.title != "Long 長い 📜")
    # The count walks the owner's chats in the index (one per chat); files: two per chat.
    assert read <= (CHATS + 1) + 20 * (1 + 2 * 2) + 5


@pytest.mark.django_db
def test_the_files_of_some_chats_are_found_by_their_ids(heavy: User) -> None:
    chats = list(ChatSession.objects.for_user(heavy).order_by("pk")[:20])
    for _ in range(2):
        read = _read_by(lambda: selectors.attach_chat_files(heavy, chats))
    assert all(len(chat.attached_files) == 2 for chat in chats)
    assert read <= 20 * (1 + 2 * 2) + 5
