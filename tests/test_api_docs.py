"""The interactive API docs work offline: every asset comes from this server."""

import re

import lxml.html
import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ELSEWHERE = re.compile(r"(https?:)?//[\w.-]+")


def test_the_docs_page_loads_only_this_servers_assets() -> None:
    client = Client()
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = lxml.html.document_fromstring(response.content)
    assets = [
        *page.xpath("//script/@src"),
        *page.xpath("//link/@href"),
        *page.xpath("//img/@src"),
    ]
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets)
    for asset in assets:
        assert asset.startswith("/"), asset
        assert not asset.startswith("//"), asset
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert b"".join(served) if served.streaming else served.content, asset
    assert not page.xpath("//script[not(@src)]")  # no inline script either
    assert not ELSEWHERE.search(response.content.decode())
    script = client.get("/api/docs/", {"script": ""}).content.decode()
    assert 'url: "/api/schema/"' in script
    assert not ELSEWHERE.search(script)
