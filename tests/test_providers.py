"""The AI providers: an OpenAI-compatible server (a local fake speaking its protocol) and the
built-in offline assistant."""

import asyncio
import socket
from typing import Any

import pytest
from django.conf import settings

from chats.providers.base import (
    ModelChoice,
    Passage,
    PromptMessage,
    ProviderError,
    ReplyStats,
    ServerModel,
)
from chats.providers.builtin import BuiltinProvider
from chats.providers.openai import OpenAICompatibleProvider
from chats.providers.registry import get_provider
from tests.fake_openai_server import FakeOpenAIServer
from tests.waiting import await_until

PASSAGE = Passage(
    file_id=7, file_name="handbook.pdf", text="The office opens at 8:30.", chunk_index=0
)


def _configured() -> OpenAICompatibleProvider:
    """The provider for the server the environment configures (the fake, in these tests)."""
    return OpenAICompatibleProvider(
        ServerModel(
            base_url=settings.ONYX_LLM_BASE_URL,
            model=settings.ONYX_LLM_MODEL,
            api_key=settings.ONYX_LLM_API_KEY,
        )
    )


async def _collect(provider: Any, text: str, **kwargs: Any) -> tuple[list[str], ReplyStats]:
    stats = ReplyStats()
    chunks = [
        chunk
        async for chunk in provider.stream_reply(
            [PromptMessage(role="user", content=text)], stats=stats, **kwargs
        )
    ]
    return chunks, stats


async def test_openai_streams_the_reply_in_chunks(fake_openai: FakeOpenAIServer) -> None:
    chunks, stats = await _collect(_configured(), "Hello there, model")
    assert len(chunks) > 1
    assert "".join(chunks) == "Echo: Hello there, model"
    assert stats.model == "fake-model"
    assert (stats.prompt_tokens, stats.completion_tokens) == (11, 7)
    [request] = fake_openai.requests
    assert request.path == "/v1/chat/completions"
    assert request.body["stream"] is True
    assert request.body["model"] == "fake-model"
    assert request.headers["authorization"] == "Bearer test-key"


async def test_openai_passes_file_passages_with_instructions_to_cite(
    fake_openai: FakeOpenAIServer,
) -> None:
    await _collect(_configured(), "When does the office open?", passages=[PASSAGE])
    system = fake_openai.requests[0].body["messages"][0]
    assert system["role"] == "system"
    assert "[1] From handbook.pdf" in system["content"]
    assert "8:30" in system["content"]
    assert "Cite" in system["content"]


async def test_a_slow_stream_still_completes(fake_openai: FakeOpenAIServer) -> None:
    chunks, _ = await _collect(_configured(), "[slow] one two")
    assert "".join(chunks) == "Echo: [slow] one two"


async def test_an_http_error_is_a_readable_failure(fake_openai: FakeOpenAIServer) -> None:
    with pytest.raises(ProviderError, match=r"HTTP 500.*overloaded"):
        await _collect(_configured(), "[fail500]")


async def test_a_cut_stream_is_a_failure_not_a_short_answer(fake_openai: FakeOpenAIServer) -> None:
    with pytest.raises(ProviderError, match="cut"):
        await _collect(_configured(), "[cut] a b c d e f")


async def test_a_silent_server_times_out(fake_openai: FakeOpenAIServer) -> None:
    with pytest.raises(ProviderError, match="did not answer within 1 seconds"):
        await _collect(_configured(), "[hang]")
    # The client gave up by itself while the server was still silent, not when it gave up.
    assert fake_openai.hanging.is_set()
    assert not fake_openai.hang_over.is_set()


async def test_a_refused_connection_names_the_server(settings: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    settings.ONYX_LLM_BASE_URL = f"http://127.0.0.1:{port}/v1"
    settings.ONYX_LLM_MODEL = "any"
    with pytest.raises(ProviderError, match=rf"127\.0\.0\.1:{port}"):
        await _collect(_configured(), "hi")


async def test_closing_the_stream_early_hangs_up_on_the_server(
    fake_openai: FakeOpenAIServer,
) -> None:
    stream = _configured().stream_reply(
        [PromptMessage(role="user", content="[slow] a b c d e f g h")], stats=ReplyStats()
    )
    first = await stream.__anext__()
    assert first == "Echo: "
    await stream.aclose()  # type: ignore[attr-defined]
    # Closing did not read the rest of the stream first: the server is still sending it...
    assert not fake_openai.finished.is_set()
    # ...and finds the connection gone instead of finishing it.

    async def hung_up() -> bool:
        return fake_openai.closed_early.is_set()

    await await_until(hung_up, what="the server to see the client hang up")
    assert not fake_openai.finished.is_set()


async def test_builtin_greets_back() -> None:
    chunks, stats = await _collect(BuiltinProvider(), "Hello AI")
    text = "".join(chunks)
    assert text.startswith("Hello!")
    assert stats.model == "builtin"


async def test_builtin_says_how_to_connect_a_model() -> None:
    text = "".join((await _collect(BuiltinProvider(), "What is the capital of Peru?"))[0])
    assert "No language model is connected" in text
    assert "Model connections" in text  # in the admin
    assert "ONYX_LLM_BASE_URL" in text


async def test_builtin_chosen_while_models_are_connected_points_to_them() -> None:
    provider = BuiltinProvider(others_offered=["llama3:8b", "gpt-4o"])
    text = "".join((await _collect(provider, "What is the capital of Peru?"))[0])
    assert "No language model is connected" not in text
    assert "“llama3:8b” or “gpt-4o”" in text


async def test_builtin_quotes_and_names_the_file() -> None:
    text = "".join((await _collect(BuiltinProvider(), "office hours?", passages=[PASSAGE]))[0])
    assert "> The office opens at 8:30." in text
    assert "*handbook.pdf* [1]" in text


async def test_builtin_streams_word_by_word_and_loses_nothing(settings: Any) -> None:
    settings.ONYX_BUILTIN_WORD_DELAY = 0.001
    chunks, _ = await _collect(BuiltinProvider(), "Hello AI")
    assert len(chunks) > 10
    assert "".join(chunks).endswith("or with `ONYX_LLM_BASE_URL`.")


def test_registry_gives_each_choice_its_provider() -> None:
    assert get_provider(ModelChoice()).name == "builtin"
    server = ServerModel(base_url="http://127.0.0.1:1/v1", model="m", api_key="k")
    assert get_provider(ModelChoice(server=server)).name == "openai"


async def test_a_model_no_longer_offered_fails_the_reply_with_the_reason() -> None:
    provider = get_provider(ModelChoice(refusal="Choose another model for this chat."))
    with pytest.raises(ProviderError, match="Choose another model"):
        await _collect(provider, "hi")


def test_a_server_models_key_stays_out_of_its_repr() -> None:
    server = ServerModel(base_url="http://127.0.0.1:1/v1", model="m", api_key="sk-secret-42")
    assert "sk-secret-42" not in repr(server)
    assert "sk-secret-42" not in repr(ModelChoice(server=server))


async def test_a_worker_streams_as_many_replies_at_once_as_it_takes_on(
    fake_openai: FakeOpenAIServer, settings: Any
) -> None:
    # More than httpx's default of 100 connections: every one must reach the model at once,
    # none wait for another reply to finish.
    settings.ONYX_WORKER_REPLY_CONCURRENCY = 120
    settings.ONYX_LLM_READ_TIMEOUT = 20
    provider = _configured()
    streams = [asyncio.ensure_future(_collect(provider, f"[hang] n°{n} ✓")) for n in range(120)]
    try:
        # Well within the ten seconds each request hangs: none can have been freed meanwhile.
        await await_until(
            lambda: len(fake_openai.requests) == 120,
            timeout=5,
            what="120 requests at the model at once",
        )
    finally:
        fake_openai.released.set()
        await asyncio.gather(*streams, return_exceptions=True)
