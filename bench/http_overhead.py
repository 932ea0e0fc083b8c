"""What our authentication and pages cost per request, against a bare Django view.

All requests go through the full middleware stack in-process (Django's test client), so the
ratio isolates our code: session registry checks, JWT verification, queries, templates.
"""

import statistics
import time
from collections.abc import Callable
from typing import Any

import _django

_django.setup()

from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402

from accounts.models import User  # noqa: E402
from chats.models import ChatMessage, ChatSession  # noqa: E402

ROUNDS = 5
REQUESTS_PER_ROUND = 300


def bare_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [
    path("bench/bare/", bare_view),
    path("", include("onyx_site.urls")),
]


def per_request_ms(call: Callable[[], object]) -> float:
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(REQUESTS_PER_ROUND):
            call()
        rounds.append((time.perf_counter() - start) / REQUESTS_PER_ROUND * 1000)
    return statistics.median(rounds)


def main() -> None:
    password = "bench password 123 long"
    user = User.objects.create_user(email="bench@example.com", password=password)
    chat = ChatSession.objects.create(owner=user, title="Bench")
    previous = None
    for n in range(50):  # one branch: each message follows the one before
        previous = ChatMessage.objects.create(
            chat=chat, owner=user, role="user", content=f"message {n} " * 20, parent=previous
        )
    chat.active_leaf = previous
    chat.save(update_fields=["active_leaf"])
    browser = Client()
    assert browser.post("/login/", {"email": user.email, "password": password}).status_code == 302
    token = (
        Client()
        .post(
            "/api/auth/token/",
            {"email": user.email, "password": password},
            content_type="application/json",
        )
        .json()["access"]
    )
    api = Client(headers={"Authorization": f"Bearer {token}"})

    with override_settings(ROOT_URLCONF=__name__):
        assert browser.get("/bench/bare/").status_code == 200
        baseline = per_request_ms(lambda: browser.get("/bench/bare/"))
        cases: dict[str, Callable[[], Any]] = {
            "GET /api/auth/me/ (JWT + session check)": lambda: api.get("/api/auth/me/"),
            "GET /api/chats/ (JWT)": lambda: api.get("/api/chats/"),
            f"GET /api/chats/{chat.pk}/messages/ (50 msgs, JWT)": lambda: api.get(
                f"/api/chats/{chat.pk}/messages/"
            ),
            "GET /chats/ (page, cookie session)": lambda: browser.get("/chats/"),
            f"GET /chats/{chat.pk}/ (page, 50 msgs)": lambda: browser.get(f"/chats/{chat.pk}/"),
        }
        print(f"baseline: bare Django view through the same middleware: {baseline:.3f} ms/request")
        for name, call in cases.items():
            response: Any = call()
            assert response.status_code == 200, name
            ms = per_request_ms(call)
            print(f"{name:55s} {ms:7.3f} ms/request  {ms / baseline:5.2f}x baseline")


if __name__ == "__main__":
    try:
        main()
    finally:
        _django.teardown()
