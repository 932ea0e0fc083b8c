"""Testing a model connection: ask the server for its /v1/models and say plainly what failed,
or which models it has."""

from dataclasses import dataclass, field

import httpx
from django.conf import settings

from chats.models import ModelConnection


@dataclass(frozen=True)
class ConnectionReport:
    ok: bool
    summary: str  # one sentence for the operator, never the API key
    server_models: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # offered here but not on the server


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else f"{text[:limit]}…"


def _names(models: list[str]) -> str:
    return ", ".join(models) if models else "none"


def check_connection(connection: ModelConnection) -> ConnectionReport:
    url = f"{connection.base_url.rstrip('/')}/models"
    headers = {"Accept": "application/json"}
    if connection.api_key:
        headers["Authorization"] = f"Bearer {connection.api_key}"
    timeout = httpx.Timeout(
        settings.ONYX_LLM_READ_TIMEOUT, connect=settings.ONYX_LLM_CONNECT_TIMEOUT
    )
    try:
        response = httpx.get(url, headers=headers, timeout=timeout, follow_redirects=False)
    except httpx.TimeoutException:
        return ConnectionReport(
            ok=False,
            summary=f"{url} did not answer within the configured timeouts "
            f"({settings.ONYX_LLM_CONNECT_TIMEOUT:g} s to connect, "
            f"{settings.ONYX_LLM_READ_TIMEOUT:g} s to answer).",
        )
    except (httpx.ConnectError, httpx.RemoteProtocolError):
        return ConnectionReport(
            ok=False,
            summary=f"Could not connect to {url}: the connection was refused or cut. "
            "Check that the server is running and the base URL is right.",
        )
    except (httpx.UnsupportedProtocol, httpx.InvalidURL):
        return ConnectionReport(ok=False, summary=f"{url} is not an http:// or https:// address.")
    except httpx.HTTPError as error:
        return ConnectionReport(ok=False, summary=f"{url} failed: {type(error).__name__}.")
    if response.status_code in (401, 403):
        return ConnectionReport(
            ok=False,
            summary=f"{url} refused the API key (HTTP {response.status_code}). "
            "Check the key, or save one if the server needs it.",
        )
    if response.status_code >= 300:
        return ConnectionReport(
            ok=False,
            summary=f"{url} answered HTTP {response.status_code}: {_short(response.text)}",
        )
    try:
        listed = response.json()
        server_models = sorted(str(entry["id"]) for entry in listed["data"])
    except ValueError:  # not JSON, or not text at all
        return ConnectionReport(
            ok=False,
            summary=f"{url} did not answer with JSON: is the base URL the server's "
            "OpenAI-compatible address (usually ending in /v1)?",
        )
    except (KeyError, TypeError):
        return ConnectionReport(ok=False, summary=f"{url} answered JSON, but not a list of models.")
    missing = [name for name in connection.model_names if name not in server_models]
    summary = f"Connected. The server has {len(server_models)} model(s): {_names(server_models)}."
    if missing:
        summary += f" Offered here but missing on the server: {_names(missing)}."
    elif not connection.model_names:
        summary += " None is offered to users yet: add them under “Models to offer”."
    return ConnectionReport(ok=True, summary=summary, server_models=server_models, missing=missing)
