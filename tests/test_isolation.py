"""Another user's object is a 404 (or 405) on every route that takes an id, found by walking the
URL patterns and the OpenAPI schema, so a new route is covered without editing this test.

Bob tries every method (HEAD and OPTIONS too) on every such route with Alice's real ids, signed in
by cookie (pages) and by JWT (API). Nothing of Alice's may come back in a body, and nothing of hers
may change, not even which files her chat answers from.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts import session_registry
from accounts.models import User
from chats.models import ChatMessage, ChatSession
from files.models import FileChunk, UserFile
from tests.conftest import api_tokens, bearer, sign_in
from tests.factories import add_message

SECRETS = ("Alices Reiseplan ✈️ 秘密", "Der geheime Plan: 秘密のコード 4471 🗝️", "geheim-秘密.txt")
METHODS = ("get", "head", "options", "post", "put", "patch", "delete")
# Only operators reach the admin, and it scopes nothing by owner on purpose.
SKIPPED_PREFIXES = ("admin/",)
# A route parameter names one of Alice's objects by the path segment before it.
OBJECT_OF_SEGMENT = {
    "chats": "chat",
    "messages": "message",
    "files": "file",
    "sessions": "session",
}


@dataclass(frozen=True)
class AlicesThings:
    ids: dict[str, str]


def _alices_things(alice: User) -> AlicesThings:
    chat = ChatSession.objects.create(owner=alice, title=SECRETS[0])
    add_message(chat, "user", SECRETS[1])
    reply = add_message(chat, "assistant", SECRETS[1])
    stored = default_storage.save("isolation/alice.txt", ContentFile(SECRETS[1].encode()))
    file = UserFile.objects.create(
        owner=alice,
        name=SECRETS[2],
        storage_name=stored,
        size=len(SECRETS[1].encode()),
        kind="text",
        content_type="text/plain",
        sha256="a" * 64,
        status="ready",
    )
    FileChunk.objects.create(owner=alice, file=file, index=0, text=SECRETS[1])
    chat.files.set([file])
    session = session_registry.start_session(
        user_id=alice.pk, kind="browser", ip="127.0.0.1", user_agent="alice-laptop"
    )
    return AlicesThings(
        ids={
            "chat": str(chat.pk),
            "message": str(reply.pk),
            "file": str(file.pk),
            "session": session.sid,
        }
    )


def _snapshot(alice: User) -> Any:
    attachments = ChatSession.files.through.objects.filter(
        Q(chatsession__owner=alice) | Q(userfile__owner=alice)
    )
    return (
        list(ChatSession.objects.for_user(alice).values().order_by("pk")),
        list(ChatMessage.objects.for_user(alice).values().order_by("pk")),
        list(UserFile.objects.for_user(alice).values().order_by("pk")),
        list(FileChunk.objects.for_user(alice).values().order_by("pk")),
        list(attachments.values_list("chatsession_id", "userfile_id").order_by("pk")),
        sorted(s.sid for s in session_registry.list_sessions(alice.pk)),
    )


_PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\{(?P<api_name>\w+)\}")


def _route_patterns() -> Iterator[str]:
    """Every URL pattern of the project as a route string like 'chats/<int:chat_id>/'."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    yield from walk(get_resolver().url_patterns, "")


def _schema_paths() -> Iterator[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in schema["paths"]:
        yield path.lstrip("/")


def _fill(route: str, things: AlicesThings) -> str:
    """The route with each parameter replaced by the id of Alice's object it names."""

    def replace(match: re.Match[str]) -> str:
        before = route[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        kind = OBJECT_OF_SEGMENT.get(before)
        if kind is None:
            raise AssertionError(
                f"{route}: which object does {match.group(0)} name? Add its segment "
                "to OBJECT_OF_SEGMENT."
            )
        return things.ids[kind]

    return "/" + _PARAM.sub(replace, route)


def _routes_with_ids() -> set[str]:
    routes = {
        route
        for route in [*_route_patterns(), *_schema_paths()]
        if _PARAM.search(route) and not route.startswith(SKIPPED_PREFIXES)
    }
    # Regex-routed patterns (format suffixes, the DRF root) carry no object ids.
    return {route for route in routes if "(?P<" not in route and "^" not in route}


@pytest.mark.django_db
def test_every_route_with_an_id_hides_alices_objects_from_bob(alice: User, bob: User) -> None:
    things = _alices_things(alice)
    routes = _routes_with_ids()
    # The walk found the routes we know of; a new one is covered by the same loop.
    assert {"chats/<int:chat_id>/", "api/files/{id}/download/"} <= routes
    before = _snapshot(alice)
    bob_browser = sign_in(bob)
    bob_api = Client(
        HTTP_AUTHORIZATION=bearer(api_tokens(Client(), bob)["access"])["Authorization"]
    )
    checked = []
    for route in sorted(routes):
        path = _fill(route, things)
        # Pages know only the cookie; the API takes the cookie (browsable API) and a JWT.
        clients = (
            {"cookie": bob_browser, "jwt": bob_api}
            if path.startswith("/api/")
            else {"cookie": bob_browser}
        )
        for method in METHODS:
            for who, client in clients.items():
                where = f"{method.upper()} {path} as bob by {who}"
                response = _call(client, method, path)
                assert response.status_code in (404, 405), (where, response.status_code)
                text = _body(response)
                for secret in SECRETS:
                    assert secret not in text, (where, secret)
                checked.append(where)
    assert len(checked) >= len(routes) * len(METHODS)
    assert _snapshot(alice) == before
    assert before[4], "alice's chat has a file attached: the walk could change the link"


@pytest.mark.django_db
def test_options_describes_an_endpoint_only_with_ones_own_ids(alice: User, bob: User) -> None:
    things = _alices_things(alice)
    alice_api = Client(
        HTTP_AUTHORIZATION=bearer(api_tokens(Client(), alice)["access"])["Authorization"]
    )
    for path in (
        f"/api/chats/{things.ids['chat']}/",
        f"/api/chats/{things.ids['chat']}/messages/{things.ids['message']}/",
        f"/api/files/{things.ids['file']}/",
        f"/api/auth/sessions/{things.ids['session']}/",
        "/api/chats/",
    ):
        described = alice_api.options(path)
        assert described.status_code == 200, path
        assert described.json()["name"], path
    bob_api = Client(
        HTTP_AUTHORIZATION=bearer(api_tokens(Client(), bob)["access"])["Authorization"]
    )
    assert bob_api.options(f"/api/chats/{things.ids['chat']}/").status_code == 404
    assert bob_api.options("/api/chats/").status_code == 200  # names nothing of anyone's


def test_a_view_whose_url_names_objects_it_cannot_look_up_is_not_described() -> None:
    class NamesAnObject(APIView):
        permission_classes = [AllowAny]

        def get(self, request: Request, thing: str) -> Response:
            return Response({})

    response = NamesAnObject.as_view()(APIRequestFactory().options("/things/1/"), thing="1")
    assert response.status_code == 405


def _call(client: Client, method: str, path: str) -> Any:
    if method in ("get", "head", "options"):
        return getattr(client, method)(path)
    return getattr(client, method)(
        path, json.dumps({"title": "x", "content": "x"}), content_type="application/json"
    )


def _body(response: Any) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return str(raw.decode("utf-8", errors="replace"))
