"""The framework's floor, for `make bench` only (mounted with ONYX_BENCH_BASELINES=true).

Each baseline does what the endpoint it is compared with does, minus our code: a DRF view with
no authentication returning a small object, and a Channels consumer that joins a group and
relays group messages to its socket. The DRF view is served by Django's own ASGI handler, as the
framework ships it; the same view under ours (onyx_site/asgi_handler.py) is mounted under
/bench/ours/, to show what our handler alone changes.
"""

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.handlers.asgi import ASGIHandler
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

ECHO_GROUP = "bench.echo"


class BareDRFView(APIView):
    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"id": 1, "email": "bench@example.com", "role": "basic"})


class BareEchoConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        await self.channel_layer.group_add(ECHO_GROUP, self.channel_name)
        self.groups.append(ECHO_GROUP)

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])


urlpatterns = [
    path("bench/bare-drf/", BareDRFView.as_view()),
    path("bench/ours/bare-drf/", BareDRFView.as_view()),
]


def baselines_on_stock_django(app: Any) -> Any:
    """`app`, but /bench/ (not /bench/ours/) served by Django's own ASGI handler."""
    stock = ASGIHandler()

    async def route(scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if path.startswith("/bench/") and not path.startswith("/bench/ours/"):
            await stock(scope, receive, send)
        else:
            await app(scope, receive, send)

    return route
