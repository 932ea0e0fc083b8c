"""Live events carry the page's own HTML for a message or a file row, rendered without a
request: their forms have no CSRF token (the page adds one when it posts) and rendering them
warns of nothing, also with DEBUG on (`make run`)."""

import warnings
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from chats import selectors
from chats.replies import message_event
from files.events import file_event
from files.models import UserFile
from tests.factories import add_message, make_chat, make_file


@pytest.mark.django_db
def test_event_html_has_forms_without_a_token_and_no_warning(alice: User, settings: Any) -> None:
    settings.DEBUG = True
    chat = make_chat(owner=alice, title="Été 🌞")
    add_message(chat, "user", "Où est la gare ? 駅")
    reply = add_message(chat, "assistant", "**Tout droit** 🚉")
    [shown] = selectors.ready_to_show(alice, [reply])
    file = make_file(owner=alice, name="café.txt")
    file.status, file.error = UserFile.Status.FAILED, "Illisible"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        message_html = str(message_event("message.completed", shown)["html"])
        row_html = str(file_event("file.updated", file)["html"])
    assert 'data-action="regenerate"' in message_html
    assert "Tout droit" in message_html
    assert 'method="post"' in row_html
    assert "café.txt" in row_html
    assert "csrfmiddlewaretoken" not in message_html + row_html


@pytest.mark.django_db
def test_the_same_forms_on_a_page_carry_the_token(alice: User, alice_client: Client) -> None:
    chat = make_chat(owner=alice, title="Été 🌞")
    add_message(chat, "user", "Où est la gare ? 駅")
    add_message(chat, "assistant", "**Tout droit** 🚉")
    page = alice_client.get(f"/chats/{chat.pk}/").content.decode()
    regenerate_form = page.split('class="tool-form">', 1)[1].split("</form>", 1)[0]
    assert 'name="csrfmiddlewaretoken"' in regenerate_form
