"""Tell drf-spectacular that our JWT authentication is SimpleJWT's, so the docs show Bearer auth."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class SessionBoundJWTScheme(SimpleJWTScheme):  # type: ignore[no-untyped-call]
    target_class = "accounts.jwt.SessionBoundJWTAuthentication"
    name = "jwtAuth"
