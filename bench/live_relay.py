"""How fast live events reach a tab: our publish + LiveConsumer vs a bare Channels echo.

Both paths use the real Redis channel layer and Channels' communicator. Baseline: a consumer
that forwards each group message straight to its socket (no seq, no log, no auth). Ours:
events.apublish() (seq + log in Redis) to the /ws/ LiveConsumer of a signed-in user.
"""

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import _django

_django.setup()

from asgiref.sync import sync_to_async  # noqa: E402
from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from channels.testing import WebsocketCommunicator  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from onyx_site import events  # noqa: E402
from onyx_site.asgi import application  # noqa: E402

EVENTS_PER_ROUND = 50
ROUNDS = 20


class BareEcho(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.channel_layer.group_add("bench.bare", self.channel_name)
        await self.accept()

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])


async def timed(
    publish: Callable[[int], Awaitable[None]], communicator: WebsocketCommunicator
) -> float:
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for n in range(EVENTS_PER_ROUND):
            await publish(n)
        for _ in range(EVENTS_PER_ROUND):
            await communicator.receive_json_from(timeout=10)
        rounds.append((time.perf_counter() - start) / EVENTS_PER_ROUND * 1e6)
    return statistics.median(rounds)


async def main() -> None:
    layer = get_channel_layer()
    bare = WebsocketCommunicator(BareEcho.as_asgi(), "/bare/")
    await bare.connect()

    async def publish_bare(n: int) -> None:
        await layer.group_send(
            "bench.bare",
            {"type": "live.event", "event": {"type": "message.delta", "delta": f"word{n} "}},
        )

    baseline = await timed(publish_bare, bare)
    await bare.disconnect()

    user = await sync_to_async(User.objects.create_user)(
        "bench@example.com", "bench password 123 long"
    )
    token = await sync_to_async(
        lambda: (
            Client()
            .post(
                "/api/auth/token/",
                {"email": "bench@example.com", "password": "bench password 123 long"},
                content_type="application/json",
            )
            .json()["access"]
        )
    )()
    ours = WebsocketCommunicator(
        application, "/ws/", headers=[(b"authorization", f"Bearer {token}".encode())]
    )
    await ours.connect()
    await ours.receive_json_from()  # hello

    async def publish_ours(n: int) -> None:
        await events.apublish(
            user.pk, {"type": "message.delta", "chat_id": 1, "message_id": 1, "delta": f"word{n} "}
        )

    measured = await timed(publish_ours, ours)
    await ours.disconnect()
    print(f"baseline: bare Channels echo over Redis: {baseline:8.1f} µs/event")
    ratio = measured / baseline
    print(f"ours: apublish + LiveConsumer: {measured:8.1f} µs/event  {ratio:5.2f}x baseline")


if __name__ == "__main__":
    try:
        asyncio.run(main())
    finally:
        _django.teardown()
