"""Security headers on static files, which ServeStatic answers before SecurityMiddleware runs."""

from typing import Any

from onyx_site.security_headers import file_security_headers


def add_security_headers(headers: Any, path: str, url: str) -> None:
    # ServeStatic does not say whether the request came over HTTPS; HSTS is only ever
    # configured (DEBUG off) where it does.
    for name, value in file_security_headers(secure=True).items():
        headers[name] = value
