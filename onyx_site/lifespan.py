"""The ASGI lifespan protocol, answered: the app has nothing to start or stop with the server,
but a server that asks (uvicorn does unless told `--lifespan off`) should hear so instead of
logging that the protocol is unsupported."""

from typing import Any

from asgiref.typing import ASGIReceiveCallable, ASGISendCallable


async def lifespan(scope: Any, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
