"""The interactive API docs work offline, and the schema behind them says what the API does."""

import re
from typing import Any

import lxml.html
import pytest
from django.test import Client

from files.detection import KINDS

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


def _schema() -> dict[str, Any]:
    response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def _json_schema(response: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = response["content"]["application/json"]["schema"]
    return content


def test_every_operation_documents_the_errors_it_can_answer_with() -> None:
    schema = _schema()
    error = {"$ref": "#/components/schemas/ApiError"}
    checked = 0
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            assert _json_schema(responses["401"]) == error, where
            assert _json_schema(responses["503"]) == error, where
            assert "Retry-After" in responses["503"]["headers"], where
            if "{" in path:
                assert _json_schema(responses["404"]) == error, where
            if "requestBody" in operation:
                for status in ("400", "411", "413", "415"):
                    assert _json_schema(responses[status]) == error, (where, status)
            if method not in ("get", "head", "options"):
                # The edge refuses a chunked or oversized body even where none is wanted.
                for status in ("411", "413"):
                    assert _json_schema(responses[status]) == error, (where, status)
            checked += 1
    assert checked >= 25
    errors = schema["components"]["schemas"]["ApiError"]
    assert errors["required"] == ["detail"]
    assert set(errors["properties"]) == {"detail", "code", "errors"}


def test_the_schema_says_what_the_file_and_search_answers_are() -> None:
    paths = _schema()["paths"]
    chunks = _json_schema(paths["/api/files/{id}/chunks/"]["get"]["responses"]["200"])
    assert chunks == {"type": "array", "items": {"$ref": "#/components/schemas/FileChunk"}}
    hits = _json_schema(paths["/api/chats/search/"]["get"]["responses"]["200"])
    assert hits == {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}}
    [q] = paths["/api/chats/search/"]["get"]["parameters"]
    assert (q["required"], q["schema"]["minLength"], q["schema"]["maxLength"]) == (True, 1, 200)
    download = paths["/api/files/{id}/download/"]["get"]["responses"]["200"]["content"]
    assert set(download) == {kind.content_type for kind in KINDS.values()}
    assert "application/octet-stream" not in download


def test_the_schema_gives_the_limits_of_what_it_takes() -> None:
    schema = _schema()
    components, paths = schema["components"]["schemas"], schema["paths"]
    page_size = next(
        p for p in paths["/api/chats/"]["get"]["parameters"] if p["name"] == "page_size"
    )
    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}
    content = components["PostMessage"]["properties"]["content"]
    assert (content["maxLength"], content["pattern"]) == (32_000, r"\S")
    chat = components["PatchedChatSession"]["properties"]
    assert chat["title"]["maxLength"] == 200
    assert chat["system_prompt"]["maxLength"] == 8_000
    posted = paths["/api/chats/{chat_pk}/messages/"]["post"]["responses"]
    assert {"200", "201", "409", "429"} <= set(posted)
    assert "Retry-After" in posted["429"]["headers"]
