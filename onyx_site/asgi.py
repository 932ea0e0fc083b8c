"""HTTP through Django, WebSockets at /ws/ through Channels, and the server's lifespan."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onyx_site.settings")
django.setup(set_prefix=False)  # as get_asgi_application() does, before anything touches models

from onyx_site.asgi_handler import KeptThreadsASGIHandler  # noqa: E402

django_asgi_app = KeptThreadsASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from accounts.ws_auth import websocket_auth  # noqa: E402
from chats.consumers import LiveConsumer  # noqa: E402
from onyx_site.body_limits import RequestBodyLimit  # noqa: E402
from onyx_site.lifespan import lifespan  # noqa: E402
from onyx_site.outages import close_sockets_on_outage  # noqa: E402

websocket_routes = [path("ws/", LiveConsumer.as_asgi())]
if settings.ONYX_BENCH_BASELINES:
    from onyx_site.bench_baselines import BareEchoConsumer, baselines_on_stock_django

    websocket_routes.append(path("bench/echo/", BareEchoConsumer.as_asgi()))
    django_asgi_app = baselines_on_stock_django(django_asgi_app)
websocket_urls = URLRouter(websocket_routes)

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app),
        "websocket": close_sockets_on_outage(websocket_auth(websocket_urls)),
        "lifespan": lifespan,
    }
)
