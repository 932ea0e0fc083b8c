"""Security headers on static files, which ServeStatic answers before SecurityMiddleware runs."""

from typing import Any

from django.conf import settings

from onyx_site.security_headers import strict_transport_security


def add_security_headers(headers: Any, path: str, url: str) -> None:
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = settings.SECURE_REFERRER_POLICY
    hsts = strict_transport_security()
    if hsts:
        headers["Strict-Transport-Security"] = hsts
