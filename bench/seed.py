"""Rows for the benchmarks, made in the benchmark's database; prints their ids as JSON.

Run by bench/run.py inside the benchmark's environment (bench/stack.py).
"""

import json
import sys
from itertools import pairwise

import django

django.setup()

from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from chats.models import ChatMessage, ChatSession  # noqa: E402
from tests.factories import many_files  # noqa: E402

PASSWORD = "bench password 123 long enough"


def _user(email: str) -> User:
    return User.objects.create_user(email=email, password=PASSWORD)


def _chat_with_messages(owner: User, count: int) -> ChatSession:
    chat = ChatSession.objects.create(owner=owner, title=f"{count} messages ✓")
    rows = []
    for n in range(count):
        user_turn = n % 2 == 0
        rows.append(
            ChatMessage(
                chat=chat,
                owner=owner,
                role="user" if user_turn else "assistant",
                status="done",
                content=(
                    f"Question {n}: how does the café's crème brûlée compare? 🍮"
                    if user_turn
                    else f"Answer {n}: **short** reply with a list:\n\n- one\n- two 二\n\n`code`"
                ),
            )
        )
    created = ChatMessage.objects.bulk_create(rows, batch_size=2000)
    # One branch: each message follows the one before, and the chat shows the last.
    for before, message in pairwise(created):
        message.parent_id = before.pk
    ChatMessage.objects.bulk_update(created[1:], ["parent"], batch_size=2000)
    chat.active_leaf = created[-1]
    chat.save(update_fields=["active_leaf"])
    return chat


def main() -> None:
    few = _user("few@bench.example")  # 20 chats
    many = _user("many@bench.example")  # 200 chats
    reader = _user("reader@bench.example")  # chats of 10, 50 and 10,000 messages
    for n in range(20):
        ChatSession.objects.create(owner=few, title=f"Chat {n} ☕")
    for n in range(200):
        ChatSession.objects.create(owner=many, title=f"Chat {n} ☕")
    # A year of heavy use (4,000 chats, 3,000 files), against the reader's 3 chats and 50
    # files; each has a chat of 10 messages answering from 2 of its files.
    heavy = _user("heavy@bench.example")
    ChatSession.objects.bulk_create(
        ChatSession(owner=heavy, title=f"Chat {n} ☕", pinned=n % 500 == 0) for n in range(4_000)
    )
    reader_chats = {count: _chat_with_messages(reader, count).pk for count in (10, 50, 10_000)}
    heavy_chat = _chat_with_messages(heavy, 10).pk
    for owner, count, chat in ((reader, 50, reader_chats[10]), (heavy, 3_000, heavy_chat)):
        files = many_files(owner, count, name="Rapport n°{n} 報告 📊.txt", all_read=True)
        ChatSession.objects.get(pk=chat).files.set(files[:2])
    ids = {
        "password": PASSWORD,
        "users": {
            "few": few.email,
            "many": many.email,
            "reader": reader.email,
            "heavy": heavy.email,
        },
        "chats": {str(count): pk for count, pk in reader_chats.items()},
        "heavy_chat": heavy_chat,
    }
    # Statistics and the visibility map up to date now, so autovacuum does not wake up on these
    # fresh rows in the middle of a measurement (as on any table that has been live a while).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    json.dump(ids, sys.stdout)


main()
