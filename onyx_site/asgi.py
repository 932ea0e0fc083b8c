"""HTTP through Django, WebSockets at /ws/ through Channels, and the server's lifespan."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onyx_site.settings")
django_asgi_app = get_asgi_application()  # before importing anything that touches models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from accounts.ws_auth import websocket_auth  # noqa: E402
from chats.consumers import LiveConsumer  # noqa: E402
from onyx_site.lifespan import lifespan  # noqa: E402

websocket_urls = URLRouter([path("ws/", LiveConsumer.as_asgi())])

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_auth(websocket_urls),
        "lifespan": lifespan,
    }
)
