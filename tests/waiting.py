"""The one way tests wait: poll a condition, or read a test socket until a message comes, bounded
as a whole, and say what never happened."""

import asyncio
import inspect
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

from channels.testing import WebsocketCommunicator

_T = TypeVar("_T")

DEFAULT_TIMEOUT = 15.0
INTERVAL = 0.02


def wait_until(
    condition: Callable[[], _T | None], *, timeout: float = DEFAULT_TIMEOUT, what: str = ""
) -> _T:
    """Call `condition` until it returns something truthy; return that, or fail after `timeout`
    seconds naming `what` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Gave up after {timeout:g} s waiting for {what or condition}")
        time.sleep(INTERVAL)


@overload
async def await_until(
    condition: Callable[[], Awaitable[_T | None]],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    what: str = "",
) -> _T: ...


@overload
async def await_until(
    condition: Callable[[], _T | None],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    what: str = "",
) -> _T: ...


async def await_until(
    condition: Callable[[], Any],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    what: str = "",
) -> Any:
    """The same from async code; the condition may itself be awaited."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        result = await outcome if inspect.isawaitable(outcome) else outcome
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Gave up after {timeout:g} s waiting for {what or condition}")
        await asyncio.sleep(INTERVAL)


async def receive_until(
    communicator: WebsocketCommunicator,
    done: Callable[[dict[str, Any]], bool],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    what: str = "",
) -> list[dict[str, Any]]:
    """Read what the app sends on a test socket (`websocket.send` or `websocket.close`) until a
    message for which `done` is true; every message read, that one last. The `timeout` bounds
    the whole read, however many messages come before."""
    deadline = time.monotonic() + timeout
    received: list[dict[str, Any]] = []
    while True:
        try:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            message = await communicator.receive_output(timeout=left)
        except TimeoutError:
            raise AssertionError(
                f"Gave up after {timeout:g} s waiting for {what or done} "
                f"({len(received)} messages came before)"
            ) from None
        received.append(message)
        if done(message):
            return received


async def receive_events_until(
    communicator: WebsocketCommunicator,
    done: Callable[[dict[str, Any]], bool],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    what: str = "",
) -> list[dict[str, Any]]:
    """receive_until() for the JSON events of a socket that must stay open: every event read
    until one for which `done` is true, that one last."""
    events: list[dict[str, Any]] = []

    def event_done(message: dict[str, Any]) -> bool:
        if message["type"] != "websocket.send":
            raise AssertionError(f"The socket closed ({message.get('code')}) before {what}")
        events.append(json.loads(message["text"]))
        return done(events[-1])

    await receive_until(communicator, event_done, timeout=timeout, what=what)
    return events
