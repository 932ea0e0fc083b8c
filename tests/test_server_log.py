"""A normal visit leaves no warning in the server's log: pages, their static files, the live
socket, the API docs and a download, through a real uvicorn started as a bare
`uvicorn onyx_site.asgi:application` would be (lifespan "auto")."""

import json
import logging
import re
import warnings

import httpx
import lxml.html
import pytest
from django.test import Client
from websockets.sync.client import connect

from accounts.models import User
from tests.asgi_server import running_asgi_server
from tests.conftest import api_tokens, sign_in
from tests.factories import add_message, make_chat

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ["/chats/", "/files/", "/account/", "/account/sessions/", "/api/docs/"]
# Categories Python's default warning filters never print (an unclosed socket of the test
# server's event loop, closed when the test stops it, would otherwise count).
HIDDEN_BY_PYTHON = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)
STATIC_IMPORT = re.compile(r"""from\s+["'](\./[\w./-]+\.js)["']""")


def _assets_of(http: httpx.Client, path: str) -> set[str]:
    """The static files a page loads: its scripts and styles, and the modules they import."""
    page = lxml.html.document_fromstring(http.get(path).content)
    found = {*page.xpath("//script/@src"), *page.xpath("//link[@rel='stylesheet']/@href")}
    for module in [url for url in found if url.endswith(".js")]:
        base = module.rsplit("/", 1)[0]
        for name in STATIC_IMPORT.findall(http.get(module).text):
            found.add(f"{base}/{name[2:]}")
    return found


def test_a_normal_visit_logs_no_warning(alice: User, caplog: pytest.LogCaptureFixture) -> None:
    chat = make_chat(owner=alice, title="Trip to Kyōto 🗾")
    add_message(chat, "user", "Hello")
    add_message(chat, "assistant", "**Hi** there")
    browser = sign_in(alice)
    cookies = {name: morsel.value for name, morsel in browser.cookies.items()}
    access = api_tokens(Client(), alice)["access"]
    caplog.set_level(logging.INFO)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for hidden in HIDDEN_BY_PYTHON:  # as a server process started by hand would
            warnings.filterwarnings("ignore", category=hidden)
        with (
            running_asgi_server(log_level="info", lifespan="auto") as url,
            httpx.Client(base_url=url, cookies=cookies) as http,
        ):
            for path in [*PAGES, f"/chats/{chat.pk}/"]:
                response = http.get(path)
                assert response.status_code == 200, path
            assets = _assets_of(http, f"/chats/{chat.pk}/") | _assets_of(http, "/api/docs/")
            assert {"/static/js/chat.js", "/static/js/live.js", "/static/css/app.css"} <= assets
            for asset in sorted(assets):
                response = http.get(asset)
                assert response.status_code == 200, asset
                assert response.content, asset
            bearer = {"Authorization": f"Bearer {access}"}
            uploaded = http.post(
                "/api/files/",
                files={"file": ("notes — ノート.txt", "Hérons au nord.\n".encode())},
                headers=bearer,
            ).json()
            download = http.get(f"/api/files/{uploaded['id']}/download/", headers=bearer)
            assert download.content == "Hérons au nord.\n".encode()
            socket_url = url.replace("http://", "ws://") + "/ws/"
            cookie_header = "; ".join(f"{name}={value}" for name, value in cookies.items())
            with connect(
                socket_url, additional_headers={"Cookie": cookie_header, "Origin": url}
            ) as socket:
                assert json.loads(socket.recv(timeout=10))["type"] == "hello"
    complaints = [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.WARNING or "lifespan" in record.getMessage().lower()
    ]
    assert complaints == []
    assert [f"{w.category.__name__}: {w.message}" for w in caught] == []
