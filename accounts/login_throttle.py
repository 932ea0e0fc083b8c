"""Login throttling through django-axes: the same lockout for the form and the API."""

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.models import normalize_email_address
from onyx_site.live_state import redis_client
from onyx_site.redis_cache import SharedRedisCache


class LockoutCounts(SharedRedisCache):
    """The cache axes counts failed sign-ins in (AXES_CACHE). axes add()s a count, then
    incr()s it if it was there; Django's incr() refuses a key that is gone, so a sign-in that
    succeeded from the same address in between (it resets the counts) made the failing one a
    500. Redis' own INCR counts from zero instead, atomically; axes sets the count's lifetime
    right after, and until then it lives as long as any entry of this cache."""

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        key = self.make_and_validate_key(key, version=version)
        client = self._cache.get_client(key, write=True)
        with client.pipeline() as pipeline:
            pipeline.incr(key, delta)
            pipeline.expire(key, int(self.default_timeout or 300), nx=True)
            count, _ = pipeline.execute()
        return int(count)


# axes.helpers.make_cache_key_list names every key it counts in "axes-<sha256>".
AXES_KEY_PREFIX = "axes-"
LOCKOUT_MESSAGE = "Too many failed sign-in attempts. Wait a few minutes and try again."


def normalized_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Count attempts per email however it is capitalised (AXES_USERNAME_CALLABLE)."""
    credentials = credentials or {}
    raw = credentials.get("email") or credentials.get("username") or ""
    if not raw and request is not None and hasattr(request, "POST"):
        raw = request.POST.get("email") or request.POST.get("username") or ""
    return normalize_email_address(str(raw))


def is_locked_out(request: HttpRequest, email: str) -> bool:
    return AxesProxyHandler.is_locked(request, {"email": normalize_email_address(email)})


def lockout_response(
    request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE, used where axes itself stops a login (the admin's form)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": LOCKOUT_MESSAGE}, status=429)
    return render(request, "accounts/locked_out.html", {"message": LOCKOUT_MESSAGE}, status=429)


def reset_all_lockouts() -> int:
    """Forget every failure count and lockout. Axes' cache handler can reset one address or
    email but refuses "all" (it cannot list a cache); our Redis can, by the keys' prefix."""
    pattern = caches[settings.AXES_CACHE].make_key(f"{AXES_KEY_PREFIX}*")
    client = redis_client()
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)
