"""JSON API for signing in with JWTs and managing one's own sessions."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed, NotFound, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import jwt, services, session_registry
from accounts.login_throttle import LOCKOUT_MESSAGE
from accounts.models import User, normalize_email_address, validate_visible_email
from accounts.request_info import current_session_id
from onyx_site.api_schema import error
from onyx_site.strict_input import StrictTypes


class EmailAddressField(serializers.EmailField):
    """The API's twin of accounts.forms.EmailAddressField."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.insert(0, validate_visible_email)

    def to_internal_value(self, data: Any) -> str:
        return normalize_email_address(super().to_internal_value(data))


class TokenObtainSerializer(StrictTypes):
    email = EmailAddressField()
    password = serializers.CharField(trim_whitespace=False, max_length=4096)


class TokenRefreshSerializer(StrictTypes):
    refresh = serializers.CharField(max_length=4096, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer[Any]):
    access = serializers.CharField()
    refresh = serializers.CharField()


class MeSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "role"]

    def to_representation(self, instance: User) -> dict[str, Any]:
        # By hand, as DRF would build it (a test keeps both the same): a ModelSerializer builds
        # its fields again for every instance, a tenth of this endpoint's time.
        return {"id": instance.pk, "email": instance.email, "role": instance.role}


class ActiveSessionSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(source="sid")
    kind = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    ip = serializers.CharField()
    user_agent = serializers.CharField()
    device = serializers.CharField(help_text='Named for people, e.g. "Chrome on Linux".')
    current = serializers.SerializerMethodField()

    def get_current(self, session: session_registry.ActiveSession) -> bool:
        return bool(session.sid == self.context.get("current_sid"))


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


class CredentialsView(APIView):
    """An endpoint that takes credentials in the body instead of a token in the header."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    def get_authenticate_header(self, request: Request) -> str:
        # DRF answers 403 to a failed login unless there is a challenge to send: send one.
        return 'Bearer realm="api"'


class TokenObtainView(CredentialsView):
    @extend_schema(
        request=TokenObtainSerializer,
        responses={
            200: TokenPairSerializer,
            401: error("That email and password do not match an account."),
            429: error("Too many failed sign-ins for this email or address; wait and retry."),
        },
    )
    def post(self, request: Request) -> Response:
        body = TokenObtainSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            pair = services.sign_in_api(
                request=request._request,
                email=body.validated_data["email"],
                password=body.validated_data["password"],
            )
        except services.LoginLockedOut as exc:
            raise Throttled(detail=LOCKOUT_MESSAGE) from exc
        except services.InvalidCredentials as exc:
            raise AuthenticationFailed("That email and password do not match an account.") from exc
        return Response(TokenPairSerializer(pair).data)


class TokenRefreshView(CredentialsView):
    @extend_schema(
        request=TokenRefreshSerializer,
        responses={
            200: TokenPairSerializer,
            401: error(
                "Not a valid refresh token, or its session ended (`detail` says why); a token "
                "already used once ends its whole session."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        body = TokenRefreshSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            pair = jwt.rotate_refresh_token(body.validated_data["refresh"])
        except jwt.SessionEnded as exc:
            raise AuthenticationFailed(str(exc), code="session_ended") from exc
        return Response(TokenPairSerializer(pair).data)


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        services.sign_out(request=request._request, sid=current_session_id(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses=MeSerializer)
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(_user(request)).data)


class SessionListView(APIView):
    @extend_schema(responses=ActiveSessionSerializer(many=True))
    def get(self, request: Request) -> Response:
        sessions = session_registry.list_sessions(_user(request).pk)
        context = {"current_sid": current_session_id(request)}
        return Response(ActiveSessionSerializer(sessions, many=True, context=context).data)


class SessionDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request: Request, sid: str) -> Response:
        try:
            services.revoke_session(user=_user(request), sid=sid)
        except services.SessionNotFound as exc:
            raise NotFound("No such session.") from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    def find_url_objects(self) -> None:
        """onyx_site/api_metadata.py: someone else's session is not found."""
        try:
            services.check_own_session(user=_user(self.request), sid=self.kwargs["sid"])
        except services.SessionNotFound as exc:
            raise NotFound("No such session.") from exc
