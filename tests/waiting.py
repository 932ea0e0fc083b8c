"""The one way tests wait: poll a condition, bounded, and say what never happened."""

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

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
