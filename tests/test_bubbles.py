"""Kept bubbles (chats/bubbles.py) are exactly what rendering each message again would write,
with the request's own CSRF token, and are rendered again when anything they show changes."""

from collections.abc import Sequence
from typing import Any

import pytest
from django.template import Context, Template

from accounts.models import User
from chats import bubbles, selectors
from chats.branches import shown_branch
from chats.models import ChatMessage, ChatSession
from chats.views import EditRefused
from files.models import UserFile
from onyx_site.kept_html import KeptHtml
from tests.factories import add_message, make_file
from tests.template_reads import NamesRead, Reads

pytestmark = pytest.mark.django_db

# What the chat page did before bubbles were kept: each message rendered by the template.
_EACH_RENDERED = Template(
    '{% for message in history %}{% include "chats/_message.html" %}{% endfor %}'
)
TOKEN = "t0ken-for-this-request"


def _shown(user: User, chat: ChatSession) -> list[ChatMessage]:
    page = shown_branch(user, chat, limit=50)
    return selectors.ready_to_show(user, reversed(page.messages))


def _each_rendered(messages: Sequence[object], **context: Any) -> str:
    return _EACH_RENDERED.render(Context({"history": messages, **context}))


def _kept_rendered(messages: list[ChatMessage], **context: Any) -> str:
    return str(
        bubbles.render_bubbles(
            messages,
            csrf_token=context.get("csrf_token"),
            edit_refused=context.get("edit_refused"),
        )
    )


def _assert_same_twice(messages: list[ChatMessage], **context: Any) -> str:
    """The first call may render and keep; the second is served from what was kept."""
    expected = _each_rendered(messages, **context)
    assert _kept_rendered(messages, **context) == expected
    assert _kept_rendered(messages, **context) == expected
    return expected


@pytest.fixture
def varied_chat(alice: User, alice_chat: ChatSession) -> ChatSession:
    """Every kind of bubble: Unicode, Markdown, versions, feedback, citations (one to a file
    deleted since), a failed and a stopped reply, and a reply still being written."""
    kept = make_file(owner=alice, name="hérons 鷺.md", chunks=["Les hérons nichent au nord."])
    gone = make_file(owner=alice, name="old 📄.txt", chunks=["Gone."])
    question = add_message(alice_chat, "user", "Crème brûlée? 你好 👩‍👩‍👧\nline two <b>")
    add_message(alice_chat, "assistant", "first **version**", status="failed", error="Oops 😬")
    add_message(
        alice_chat,
        "assistant",
        "Au nord [1][2]. ```py\nx = '鷺'\n```",
        parent=question,
        feedback=1,
        model_name="llama3 🦙",
        citations=[
            {"n": 1, "file_id": kept.pk, "file_name": kept.name, "passage": "Les hérons",
             "chunk_index": 0},
            {"n": 2, "file_id": gone.pk, "file_name": gone.name, "passage": "Gone."},
        ],
    )  # fmt: skip
    gone.delete()
    add_message(alice_chat, "user", "Et après ? ¿Qué?")
    add_message(alice_chat, "assistant", "Half", status="stopped")
    add_message(alice_chat, "user", "Encore 🔁")
    add_message(alice_chat, "assistant", "Being writ", status="streaming")
    return alice_chat


def test_kept_bubbles_are_what_each_render_writes(alice: User, varied_chat: ChatSession) -> None:
    messages = _shown(alice, varied_chat)
    assert len(messages) == 6  # the failed first version is not on the branch shown
    page = _assert_same_twice(messages, csrf_token=TOKEN)
    assert page.count(f'value="{TOKEN}"') == 8  # 3 edits, 3 regenerates, 2 version arrows
    assert "bubble-csrf-" not in page
    assert "old 📄.txt (deleted)" in page
    assert "Crème brûlée? 你好 👩‍👩‍👧<br>line two &lt;b&gt;" in page


def test_each_request_gets_its_own_token_and_none_without_one(
    alice: User, varied_chat: ChatSession
) -> None:
    messages = _shown(alice, varied_chat)
    _assert_same_twice(messages, csrf_token=TOKEN)
    other = _assert_same_twice(messages, csrf_token="another-token")
    assert TOKEN not in other
    without = _assert_same_twice(messages)
    assert "csrfmiddlewaretoken" not in without


def test_a_refused_edit_shows_under_its_message_only(alice: User, varied_chat: ChatSession) -> None:
    messages = _shown(alice, varied_chat)
    _assert_same_twice(messages, csrf_token=TOKEN)
    question = messages[-2]
    refused = EditRefused(message_id=question.pk, content="Trop long ✂️", error="Too long.")
    page = _assert_same_twice(messages, csrf_token=TOKEN, edit_refused=refused)
    assert "Trop long ✂️" in page
    assert _assert_same_twice(messages, csrf_token=TOKEN).count("Trop long") == 0


@pytest.mark.parametrize(
    "change",
    ["feedback", "a new version", "a cited file deleted", "a reply finished", "a new status"],
)
def test_a_changed_bubble_is_rendered_again(
    alice: User, varied_chat: ChatSession, change: str
) -> None:
    before = _assert_same_twice(_shown(alice, varied_chat), csrf_token=TOKEN)
    owned = ChatMessage.objects.for_user(alice).filter(chat=varied_chat)
    answer = owned.filter(role="assistant", feedback=1).get()
    if change == "feedback":
        owned.filter(pk=answer.pk).update(feedback=-1)
    elif change == "a new version":
        varied_chat.refresh_from_db()
        leaf = varied_chat.active_leaf_id
        add_message(varied_chat, "assistant", "third version", parent=answer.parent)
        varied_chat.active_leaf_id = leaf  # the branch shown stays the same
        varied_chat.save(update_fields=["active_leaf"])
    elif change == "a cited file deleted":
        UserFile.objects.for_user(alice).filter(pk=answer.citations[0]["file_id"]).delete()
    elif change == "a reply finished":
        owned.filter(status="streaming").update(status="done", content="Being written ✅")
    else:
        owned.filter(status="stopped").update(status="failed", error="Nope.")
    after = _assert_same_twice(_shown(alice, varied_chat), csrf_token=TOKEN)
    assert after != before


def test_a_page_renders_a_finished_bubble_once(
    alice: User, varied_chat: ChatSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bubbles, "_kept", KeptHtml(bubbles.KEPT_CHARACTERS))
    rendered: list[int] = []
    render = bubbles._render

    def counting(message: ChatMessage, context: dict[str, Any]) -> str:
        rendered.append(message.pk)
        return render(message, context)

    monkeypatch.setattr(bubbles, "_render", counting)
    messages = _shown(alice, varied_chat)
    bubbles.render_bubbles(messages, csrf_token=TOKEN)
    bubbles.render_bubbles(messages, csrf_token="another")
    streaming = messages[-1]
    assert streaming.status == "streaming"
    finished = [m.pk for m in messages if m is not streaming]
    assert sorted(rendered) == sorted([*finished, streaming.pk, streaming.pk])


def test_the_least_recently_used_bubbles_go_first_when_full() -> None:
    kept = KeptHtml(max_characters=10)
    kept.put("a", "aaaa", size=4)
    kept.put("b", "bbbb", size=4)
    assert kept.get("a") == "aaaa"  # now b is the least recently used
    kept.put("c", "cccc", size=4)
    assert (kept.get("a"), kept.get("b"), kept.get("c")) == ("aaaa", None, "cccc")
    kept.put("huge", "h" * 11, size=11)
    assert kept.get("huge") is None
    assert kept.get("a") == "aaaa"


# Names the bubble templates set for themselves ({% for %}, {% with %}, {% include … with %}),
# and those every template context has.
_TEMPLATE_OWN_NAMES = {"forloop", "cite", "versions", "refused", "True", "False", "None"}


def test_the_key_holds_everything_the_template_reads(alice: User, varied_chat: ChatSession) -> None:
    """Of the message, the attributes in the key; of the page, only what render_bubbles()
    passes: anything else (the request, the user, a setting) would be missing from a kept
    bubble, which is rendered without the page's context."""
    attributes: set[str] = set()
    names: set[str] = set()
    messages = _shown(alice, varied_chat)
    refused = EditRefused(message_id=messages[0].pk, content="x", error="y")
    context = NamesRead(
        {
            "history": [Reads(m, attributes) for m in messages],
            "csrf_token": TOKEN,
            "edit_refused": refused,
        },
        names,
    )
    _EACH_RENDERED.render(context)
    assert {"content", "siblings", "shown_citations"} <= attributes  # the recording works
    assert attributes <= {*bubbles.SHOWN_FIELDS, "shown_citations"}
    assert {"message", "csrf_token", "edit_refused"} <= names  # this recording works too
    # `.request`: {% url %} looks for the request's current_app, and finds none in a kept
    # bubble or on a page (the URL names are not namespaced), so both write the same URLs.
    allowed = {"history", "message", "csrf_token", "edit_refused", ".request"}
    assert names - _TEMPLATE_OWN_NAMES <= allowed
