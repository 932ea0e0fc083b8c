"""Login throttling through django-axes: the same lockout for the form and the API."""

from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.models import normalize_email_address

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
