"""The security headers of a page, for answers given where Django's middleware does not run: the
ASGI edge's refusals (onyx_site/body_limits.py), and HSTS for static files (static_headers.py).

The values come from the settings those middleware read (SecurityMiddleware, django-csp's
CSPMiddleware, XFrameOptionsMiddleware), and the policy is built by django-csp itself, so an
edge answer carries exactly what a page does.
"""

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings


def strict_transport_security() -> str | None:
    if not settings.SECURE_HSTS_SECONDS:
        return None
    value = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        value += "; preload"
    return value


def file_security_headers(*, secure: bool) -> dict[str, str]:
    """What SecurityMiddleware adds to any answer; HSTS only over HTTPS (`secure`), as it does."""
    headers: dict[str, str] = {}
    hsts = strict_transport_security()
    if secure and hsts:
        headers["Strict-Transport-Security"] = hsts
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers["X-Content-Type-Options"] = "nosniff"
    referrer = settings.SECURE_REFERRER_POLICY
    if referrer:
        values = referrer.split(",") if isinstance(referrer, str) else referrer
        headers["Referrer-Policy"] = ",".join(v.strip() for v in values)
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers["Cross-Origin-Opener-Policy"] = settings.SECURE_CROSS_ORIGIN_OPENER_POLICY
    return headers


def page_security_headers(*, secure: bool) -> dict[str, str]:
    """What SecurityMiddleware, CSPMiddleware and XFrameOptionsMiddleware add to a page."""
    headers = file_security_headers(secure=secure)
    headers["X-Frame-Options"] = getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()
    policy = build_policy()
    if policy:
        headers[HEADER] = policy
    report_only = build_policy(report_only=True)
    if report_only:
        headers[HEADER_REPORT_ONLY] = report_only
    return headers
