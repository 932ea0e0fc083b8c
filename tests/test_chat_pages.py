"""The chat pages, server-rendered, work without JavaScript too."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from accounts.models import User
from chats import selectors
from chats.models import ChatMessage, ChatSession
from chats.replies import message_event
from files.models import UserFile
from onyx_site.time_zones import TIME_ZONE_COOKIE
from tests.factories import add_message, chats_either_side_of_midnight, make_chat, make_file

pytestmark = pytest.mark.django_db


def test_new_chat_opens_an_empty_chat(alice_client: Client, alice: User) -> None:
    response = alice_client.post("/chats/new/")
    chat = ChatSession.objects.for_user(alice).get()
    assert response["Location"] == f"/chats/{chat.pk}/"
    page = alice_client.get(response["Location"]).content.decode()
    assert "Say hello to start the conversation." in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_the_list_shows_only_ones_own_chats(
    alice_client: Client, alice_chat: ChatSession, bob_chat: ChatSession
) -> None:
    page = alice_client.get("/chats/").content.decode()
    assert "Alice&#x27;s plans" in page
    assert "Bob" not in page


def test_history_escapes_user_text_and_renders_assistant_markdown(
    alice_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    add_message(alice_chat, "user", "<script>alert(1)</script> **not bold**")
    add_message(
        alice_chat,
        "assistant",
        "**bold** <img src=x onerror=alert(1)>\n\n```python\nimport os\n```",
    )
    page = alice_client.get(f"/chats/{alice_chat.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **not bold**" in page
    assert "<script>alert(1)" not in page
    assert "<strong>bold</strong>" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # shown as text, never as a tag
    assert "<img src=x" not in page
    assert '<code class="language-python">import os' in page


def test_bob_gets_404_for_alices_chat_pages(bob_client: Client, alice_chat: ChatSession) -> None:
    for path in ("", "delete/"):
        assert bob_client.get(f"/chats/{alice_chat.pk}/{path}").status_code == 404
    for path in ("send/", "rename/", "delete/"):
        assert (
            bob_client.post(
                f"/chats/{alice_chat.pk}/{path}", {"content": "x", "title": "x"}
            ).status_code
            == 404
        )
    alice_chat.refresh_from_db()
    assert alice_chat.title == "Alice's plans"


def test_sending_without_javascript_saves_and_comes_back(
    alice_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    response = alice_client.post(f"/chats/{alice_chat.pk}/send/", {"content": "Hello AI"})
    assert response.status_code == 302
    assert (
        ChatMessage.objects.for_user(alice).filter(chat=alice_chat, role="user").get().content
        == "Hello AI"
    )


def test_an_empty_message_is_a_form_error(
    alice_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    response = alice_client.post(f"/chats/{alice_chat.pk}/send/", {"content": "  "})
    assert response.status_code == 400
    assert b"Write a message first." in response.content
    assert not ChatMessage.objects.for_user(alice).exists()


def test_rename_and_delete_with_confirmation(
    alice_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    alice_client.post(f"/chats/{alice_chat.pk}/rename/", {"title": "Holiday"})
    alice_chat.refresh_from_db()
    assert alice_chat.title == "Holiday"
    confirm = alice_client.get(f"/chats/{alice_chat.pk}/delete/")
    assert b"cannot be undone" in confirm.content
    assert ChatSession.objects.for_user(alice).exists()
    alice_client.post(f"/chats/{alice_chat.pk}/delete/")
    assert not ChatSession.objects.for_user(alice).exists()


def test_search_page_finds_message_text(
    alice_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    add_message(alice_chat, "user", "recipes for sourdough bread")
    page = alice_client.get("/chats/", {"q": "sourdough"}).content.decode()
    assert "Alice&#x27;s plans" in page
    assert "sourdough bread" in page
    assert "No chat matches" in alice_client.get("/chats/", {"q": "zeppelin"}).content.decode()


def test_chat_pages_take_a_fixed_number_of_queries(
    alice_client: Client, alice: User, alice_chat: ChatSession, django_assert_max_num_queries
) -> None:
    for n in range(40):
        add_message(alice_chat, "user" if n % 2 == 0 else "assistant", f"m{n}")
        make_chat(owner=alice, title=f"c{n}")
    # Fixed whatever the history's length: session, chat, stalled replies, the branch's ids, its
    # messages, their versions, the chat's files, the sidebar, the file picker, the models.
    with django_assert_max_num_queries(10):
        assert alice_client.get(f"/chats/{alice_chat.pk}/").status_code == 200
    # The user and the chats, read once for the page's own list and its sidebar.
    with django_assert_max_num_queries(2):
        assert alice_client.get("/chats/").status_code == 200


def test_the_chats_page_renders_its_list_once_for_itself_and_its_sidebar(
    alice_client: Client, alice: User
) -> None:
    for title in ("Café ☕", "会议 📅", "Überblick"):
        make_chat(owner=alice, title=title)
    response = alice_client.get("/chats/")
    rendered = [t.name for t in response.templates].count("chats/_chat_groups.html")
    assert rendered == 1
    page = response.content.decode()
    sidebar = page[page.index('id="chat-groups"') : page.index("</nav>")]
    own_list = page[page.index('data-testid="chat-list"') :]
    own_list = own_list[: own_list.index("</nav>")]
    assert titles_in(sidebar) == titles_in(own_list) == ["Überblick", "会议 📅", "Café ☕"]
    # The archived page renders its own list and the sidebar's, each once.
    response = alice_client.get("/chats/?archived=1")
    rendered = [t.name for t in response.templates].count("chats/_chat_groups.html")
    assert rendered == 2


def test_the_sidebar_groups_chats_by_day_with_pinned_first(
    alice_client: Client, alice: User
) -> None:
    now = timezone.now()
    for title, days in (("Fresh", 0), ("Recent", 1), ("Week", 5), ("Ancient", 30)):
        chat = ChatSession.objects.create(owner=alice, title=title)
        ChatSession.objects.for_user(alice).filter(pk=chat.pk).update(
            updated_at=now - timedelta(days=days)
        )
    ChatSession.objects.create(owner=alice, title="Pinned one", pinned=True)
    ChatSession.objects.create(owner=alice, title="Hidden away", archived=True)
    page = alice_client.get("/chats/sidebar/").content.decode()
    labels = re.findall(r'<h2 class="group-label">([^<]+)</h2>', page)
    names = titles_in(page)
    assert labels == ["Pinned", "Today", "Yesterday", "Previous 7 days", "Older"]
    assert names == ["Pinned one", "Fresh", "Recent", "Week", "Ancient"]
    archived = alice_client.get("/chats/", {"archived": "1"}).content.decode()
    assert "Hidden away" in archived


def test_the_sidebar_groups_chats_by_the_readers_days(alice_client: Client, alice: User) -> None:
    """By the days of the zone the browser reported in its cookie; UTC's without one, or with
    one this server does not know. Tokyo's midnight and the minute before it are always on one
    UTC day together, so the two groupings always differ."""
    tokyo = ZoneInfo("Asia/Tokyo")
    chats_either_side_of_midnight(alice, tokyo, before="Avant minuit", after="Après minuit")

    def groups(cookie: str | None) -> list[tuple[str, str]]:
        if cookie is None:
            alice_client.cookies.pop(TIME_ZONE_COOKIE, None)
        else:
            alice_client.cookies[TIME_ZONE_COOKIE] = cookie
        page = alice_client.get("/chats/sidebar/").content.decode()
        return re.findall(
            r'<h2 class="group-label">([^<]+)</h2>\s*<ul class="chat-items">\s*<li[^>]*>\s*'
            r'<a[^>]*><span class="chat-name">([^<]+)</span>',
            page,
        )

    in_tokyo = [("Today", "Après minuit"), ("Yesterday", "Avant minuit")]
    assert groups("Asia/Tokyo") == in_tokyo
    in_utc = groups(None)
    assert in_utc != in_tokyo
    assert groups("Mars/Olympus_Mons") == in_utc
    assert groups("../../etc/passwd") == in_utc


def test_the_sidebar_says_when_it_lists_only_the_most_recent_chats(
    alice_client: Client, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "SIDEBAR_CHATS", 3)
    for n in range(3):
        make_chat(owner=alice, title=f"Chat n°{n} 💬")
    page = alice_client.get("/chats/sidebar/").content.decode()
    assert page.count('class="chat-name"') == 3
    assert "chat-list-more" not in page
    make_chat(owner=alice, title="Une de trop 🧮")
    page = alice_client.get("/chats/sidebar/").content.decode()
    assert page.count('class="chat-name"') == 3
    assert "Une de trop 🧮" in page  # the most recent ones
    assert "Chat n°0 💬" not in page
    assert "3 chats are listed here: pinned ones first, then the most recent." in page
    # Without JavaScript, "Show more" leads to the chats page with more of them.
    assert (
        'href="/chats/?shown=6" data-role="more-chats" data-shown="6">Show more chats</a>' in page
    )


def titles_in(html: str) -> list[str]:
    return re.findall(r'<span class="chat-name">([^<]+)</span>', html)


def listed_titles(client: Client, path: str) -> list[str]:
    return titles_in(client.get(path).content.decode())


def sidebar_rows(client: Client, query: str = "") -> list[str]:
    return listed_titles(client, f"/chats/sidebar/{query}")


@pytest.fixture
def short_sidebar(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of three chats, at most seven."""
    monkeypatch.setattr(selectors, "SIDEBAR_CHATS", 3)
    monkeypatch.setattr(selectors, "SIDEBAR_MAX_CHATS", 7)


def test_show_more_lists_the_next_chats_up_to_a_bound(
    alice_client: Client, alice: User, short_sidebar: None
) -> None:
    titles = [f"Café n°{n} ☕ 会話" for n in range(9)]
    for title in titles:
        make_chat(owner=alice, title=title)
    newest_first = titles[::-1]
    assert sidebar_rows(alice_client) == newest_first[:3]
    assert sidebar_rows(alice_client, "?shown=6") == newest_first[:6]
    # The last step stops at the bound, which offers no more; search reaches the rest.
    page = alice_client.get("/chats/sidebar/?shown=6").content.decode()
    assert 'data-shown="7"' in page
    page = alice_client.get("/chats/sidebar/?shown=7").content.decode()
    assert "7 chats are listed here" in page
    assert 'data-role="more-chats"' not in page
    # Out of bounds or not a number: the nearest bound, or the first page.
    assert sidebar_rows(alice_client, "?shown=99999999999999999999") == newest_first[:7]
    assert sidebar_rows(alice_client, "?shown=" + "9" * 5_000) == newest_first[:7]
    assert sidebar_rows(alice_client, "?shown=0006") == newest_first[:6]
    assert sidebar_rows(alice_client, "?shown=1") == newest_first[:3]
    for wrong in ("-5", "abc", "٣", "6.5", ""):
        assert sidebar_rows(alice_client, f"?shown={wrong}") == newest_first[:3], wrong
    # The list says how many it holds, so a script refreshing it asks for as many.
    assert 'data-listed="6"' in alice_client.get("/chats/sidebar/?shown=6").content.decode()
    # The chats page (where the link leads without JavaScript) lists as many, in its sidebar
    # and in its own list; archived chats have their own.
    assert listed_titles(alice_client, "/chats/?shown=6") == newest_first[:6] * 2
    ChatSession.objects.for_user(alice).update(archived=True)
    page = alice_client.get("/chats/?archived=1").content.decode()
    assert 'href="/chats/?archived=1&amp;shown=6"' in page


def test_show_more_on_the_archived_page_lists_more_archived_chats_only(
    alice_client: Client, alice: User, short_sidebar: None
) -> None:
    archived = [f"Rangé n°{n} 📦 归档" for n in range(8)]
    for title in archived:
        ChatSession.objects.create(owner=alice, title=title, archived=True)
    current = [f"En cours n°{n} ✏️ 进行" for n in range(8)]
    for title in current:
        make_chat(owner=alice, title=title)
    page = alice_client.get("/chats/?archived=1&shown=6").content.decode()
    sidebar = page[page.index('id="chat-groups"') : page.index('data-testid="chat-list"')]
    own_list = page[page.index('data-testid="chat-list"') :]
    assert titles_in(own_list) == archived[::-1][:6]
    # The sidebar lists the chats not archived, as many as on any page: the link was not its.
    assert titles_in(sidebar) == current[::-1][:3]


def test_a_chat_page_lists_its_own_chat_in_the_sidebar_however_far_down(
    alice_client: Client, alice: User, short_sidebar: None
) -> None:
    chats = [make_chat(owner=alice, title=f"Fil n°{n} 🧵 线程") for n in range(9)]
    newest_first = [chat.title for chat in reversed(chats)]

    def sidebar_of(chat: ChatSession) -> tuple[list[str], str]:
        page = alice_client.get(f"/chats/{chat.pk}/").content.decode()
        sidebar = page[page.index('id="chat-groups"') :]
        active = re.search(r'<li class="chat-item active"[^>]*data-title="([^"]+)"', sidebar)
        titles = titles_in(sidebar)
        return titles, active.group(1) if active else ""

    # The fifth most recent: two pages of three.
    assert sidebar_of(chats[4]) == (newest_first[:6], "Fil n°4 🧵 线程")
    assert 'data-listed="6"' in alice_client.get(f"/chats/{chats[4].pk}/").content.decode()
    # Within the first page: the first page.
    assert sidebar_of(chats[7]) == (newest_first[:3], "Fil n°7 🧵 线程")
    # Past the bound: the bound, and search finds it.
    assert sidebar_of(chats[0]) == (newest_first[:7], "")


def test_pin_and_archive_without_javascript(
    alice_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    response = alice_client.post(
        f"/chats/{alice_chat.pk}/pin/", {"on": "true", "next": f"/chats/{alice_chat.pk}/"}
    )
    assert response["Location"] == f"/chats/{alice_chat.pk}/"
    alice_client.post(
        f"/chats/{alice_chat.pk}/archive/", {"on": "true", "next": "https://x.example/"}
    )
    alice_chat.refresh_from_db()
    assert alice_chat.pinned
    assert alice_chat.archived
    refused = alice_client.post(f"/chats/{alice_chat.pk}/pin/", {"on": "maybe"})
    assert refused.status_code == 302
    alice_chat.refresh_from_db()
    assert alice_chat.pinned


def test_bob_cannot_pin_archive_or_read_alices_bubbles(
    bob_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    add_message(alice_chat, "user", "secret")
    for path in ("pin/", "archive/"):
        assert bob_client.post(f"/chats/{alice_chat.pk}/{path}", {"on": "true"}).status_code == 404
    assert bob_client.get(f"/chats/{alice_chat.pk}/messages/").status_code == 404
    assert bob_client.get(f"/chats/{alice_chat.pk}/rename/").status_code == 404
    alice_chat.refresh_from_db()
    assert not alice_chat.pinned
    assert not alice_chat.archived


def test_bubbles_come_as_the_page_renders_them(
    alice_client: Client, alice: User, alice_chat: ChatSession
) -> None:
    first = add_message(alice_chat, "user", "1 <b>")
    earlier = add_message(alice_chat, "assistant", "*one*")
    second = add_message(alice_chat, "assistant", "**two** 🦉", parent=first)
    shown = alice_client.get(f"/chats/{alice_chat.pk}/messages/").content.decode()
    assert shown.count("<article") == 2
    assert "1 &lt;b&gt;" in shown
    assert f'id="message-{second.pk}"' in shown
    assert "<strong>two</strong> 🦉" in shown
    assert 'aria-label="Version 2 of 2" data-role="version-position">2/2<' in shown
    # By id, any branch's message: the version not shown, for a tab switching to it.
    only = alice_client.get(
        f"/chats/{alice_chat.pk}/messages/", {"ids": f"{earlier.pk},x,²,{'9' * 30}"}
    )
    assert only.status_code == 200
    assert only.content.decode().count("<article") == 1
    assert f'id="message-{earlier.pk}"' in only.content.decode()
    assert 'aria-label="Version 1 of 2" data-role="version-position">1/2<' in only.content.decode()


def test_a_message_event_carries_the_bubble_the_page_shows(
    alice: User, alice_chat: ChatSession
) -> None:
    reply = add_message(alice_chat, "assistant", "so far\r\n", status="streaming")
    selectors.ready_to_show(alice, [reply])
    event = message_event("message.created", reply)
    assert event["html"] == render_to_string("chats/_message.html", {"message": reply})
    # The text so far travels with its carriage return intact, for code-point offsets.
    assert '<template data-role="source">so far&#13;\n</template>' in str(event["html"])
    assert 'data-offset="8"' in str(event["html"])


def test_the_rename_page_works_without_javascript(
    alice_client: Client, alice_chat: ChatSession
) -> None:
    page = alice_client.get(f"/chats/{alice_chat.pk}/rename/").content.decode()
    assert 'value="Alice&#x27;s plans"' in page
    response = alice_client.post(
        f"/chats/{alice_chat.pk}/rename/", {"title": "Ferien 🏖️", "return_to": "detail"}
    )
    assert response["Location"] == f"/chats/{alice_chat.pk}/"
    alice_chat.refresh_from_db()
    assert alice_chat.title == "Ferien 🏖️"


def test_the_model_page_works_without_javascript_and_keeps_what_is_not_posted(
    alice_client: Client, alice_chat: ChatSession
) -> None:
    page = alice_client.get(f"/chats/{alice_chat.pk}/model/").content.decode()
    assert 'data-role="chat-model"' in page
    assert '<option value="builtin">Built-in assistant (Onyx Sessions)</option>' in page
    alice_client.post(f"/chats/{alice_chat.pk}/model/", {"system_prompt": "Sois bref. 簡潔に"})
    # The header's picker posts the model alone: the system prompt stays.
    response = alice_client.post(f"/chats/{alice_chat.pk}/model/", {"model": "builtin"})
    assert response["Location"] == f"/chats/{alice_chat.pk}/"
    alice_chat.refresh_from_db()
    assert (alice_chat.model, alice_chat.system_prompt) == ("builtin", "Sois bref. 簡潔に")
    picker = alice_client.get(f"/chats/{alice_chat.pk}/").content.decode()
    assert 'value="builtin" class="menu-item model-option" aria-current="true"' in picker
    assert "Sois bref. 簡潔に" in picker


def test_the_attachments_fragment_shows_the_chats_files_with_their_state(
    alice_client: Client, alice: User, alice_chat: ChatSession, bob_client: Client
) -> None:
    ready = make_file(owner=alice, name="hérons — 鷺.md", chunks=["text"])
    waiting = make_file(owner=alice, name="later.pdf")
    UserFile.objects.for_user(alice).filter(pk=waiting.pk).update(status="uploaded")
    make_file(owner=alice, name="not attached.txt")
    alice_chat.files.set([ready, waiting])
    chips = alice_client.get(f"/chats/{alice_chat.pk}/attachments/").content.decode()
    assert chips.count('class="file-chip"') == 2
    assert "hérons — 鷺.md" in chips
    assert 'data-status="uploaded"' in chips
    assert "Waiting to be read" in chips
    assert "Answering from 2 files" in chips
    # Removing one without JavaScript posts that one only.
    assert f'name="detach" value="{waiting.pk}"' in chips
    assert 'type="hidden" name="use_files"' not in chips
    assert bob_client.get(f"/chats/{alice_chat.pk}/attachments/").status_code == 404
