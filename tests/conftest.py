"""Named users and clients for tests, against the real PostgreSQL and Redis of `make test`."""

import pytest
from django.test import Client

from accounts import session_registry
from accounts.models import User

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(autouse=True)
def clean_redis() -> None:
    session_registry.redis_client().flushdb()


def make_user(email: str, **extra: object) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice@example.com")


@pytest.fixture
def bob(db: None) -> User:
    return make_user("bob@example.com")


@pytest.fixture
def operator(db: None) -> User:
    return User.objects.create_superuser(email="operator@example.com", password=PASSWORD)


def sign_in(user: User, *, user_agent: str = "pytest-browser") -> Client:
    """A test client signed in through the real login form, as a browser would."""
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post("/login/", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def api_tokens(client: Client, user: User) -> dict[str, str]:
    response = client.post(
        "/api/auth/token/",
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    tokens: dict[str, str] = response.json()
    return tokens


def bearer(access: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access}"}


@pytest.fixture
def alice_client(alice: User) -> Client:
    return sign_in(alice)


@pytest.fixture
def bob_client(bob: User) -> Client:
    return sign_in(bob)


@pytest.fixture
def alice_tokens(alice: User) -> dict[str, str]:
    return api_tokens(Client(), alice)
