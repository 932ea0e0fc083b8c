"""The ASGI lifespan protocol: at start-up the process warms up (onyx_site/warmup.py) before
the server takes its first request; a server that asks about the protocol (uvicorn does
unless told `--lifespan off`) hears an answer instead of logging that it is unsupported."""

from typing import Any

from asgiref.sync import sync_to_async
from asgiref.typing import ASGIReceiveCallable, ASGISendCallable

from onyx_site.warmup import warm_up


async def lifespan(scope: Any, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await sync_to_async(warm_up, thread_sensitive=False)()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
