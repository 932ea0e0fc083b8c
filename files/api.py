"""JSON API for the user's files: upload, list, read, download, retry, delete."""

from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    APIException,
    UnsupportedMediaType,
    ValidationError,
)
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from chats import services as chat_services
from chats.models import ChatSession
from files import services
from files.detection import ACCEPTED_DESCRIPTION, KINDS
from files.downloads import download_response
from files.models import FileChunk, UserFile
from files.serializers import FileChunkSerializer, UserFileSerializer
from files.uploads import UploadTooLarge, check_limit, install_limit
from onyx_site.api_errors import no_such
from onyx_site.api_schema import error
from onyx_site.pagination import NumberedPage
from onyx_site.row_ids import parse_row_id


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The file is too large."


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _chat_to_attach_to(user: User, raw: object) -> ChatSession | None:
    """The chat named by an upload's `chat_id`: none when absent, 404 when not the user's."""
    if raw in (None, ""):
        return None
    chat_id = parse_row_id(str(raw))
    if chat_id is None:
        raise ValidationError({"chat_id": ["Give the id of one of your chats."]})
    chat = ChatSession.objects.for_user(user).filter(pk=chat_id).first()
    if chat is None:
        raise no_such(ChatSession)
    return chat


class FileViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[UserFile],
):
    serializer_class = UserFileSerializer
    lookup_value_converter = "int"
    pagination_class = NumberedPage
    parser_classes = [MultiPartParser]

    def get_queryset(self) -> Any:
        return UserFile.objects.for_user(_user(self.request)).order_by("-created_at", "-pk")

    def initialize_request(self, request: Any, *args: Any, **kwargs: Any) -> Request:
        if request.method == "POST":
            install_limit(request, services.upload_allowance_for_request)
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "chat_id": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "Also attach the file (or the same one uploaded before) "
                        "to this chat of yours.",
                    },
                },
                "required": ["file"],
            }
        },
        responses={
            201: UserFileSerializer,
            200: OpenApiResponse(
                UserFileSerializer,
                description='The same bytes were uploaded before: that file, with "duplicate": '
                "true.",
            ),
            413: error(
                f"Larger than ONYX_MAX_UPLOAD_MB, or over the user's storage quota. "
                f"Readable types: {ACCEPTED_DESCRIPTION}."
            ),
            415: error(f"Not a type that can be read: {ACCEPTED_DESCRIPTION}."),
            404: error("`chat_id` names no chat of yours; nothing was stored."),
        },
    )
    def create(self, request: Request) -> Response:
        user = _user(request)
        try:
            uploaded = request.FILES.get("file")
            check_limit(request._request)
        except UploadTooLarge as error:
            raise PayloadTooLarge(error.message) from error
        if uploaded is None:
            raise ValidationError({"file": ["Choose a file to upload (multipart field “file”)."]})
        chat = _chat_to_attach_to(user, request.data.get("chat_id"))
        try:
            result = services.store_upload(user=user, uploaded=uploaded)
        except services.UnsupportedFileType as error:
            raise UnsupportedMediaType(uploaded.content_type or "", detail=str(error)) from error
        if chat is not None:
            chat_services.attach_file(chat=chat, file=result.file)
        data = dict(UserFileSerializer(result.file).data)
        data["duplicate"] = result.duplicate
        data["chat_id"] = chat.pk if chat is not None else None
        return Response(
            data, status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED
        )

    def perform_destroy(self, instance: UserFile) -> None:
        services.delete_file(file=instance)

    @extend_schema(
        responses={
            (200, kind.content_type): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The bytes, as an attachment under the file's name, with the "
                "Content-Type it was stored with (its `content_type`).",
            )
            for kind in KINDS.values()
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: int) -> FileResponse:
        return download_response(request._request, self.get_object())

    @extend_schema(
        responses=FileChunkSerializer(many=True),
        description="The file's text as the passages answers quote, in order; none until it "
        "is read.",
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def chunks(self, request: Request, pk: int) -> Response:
        file = self.get_object()
        chunks = FileChunk.objects.for_user(_user(request)).filter(file=file).order_by("index")
        return Response(FileChunkSerializer(chunks, many=True).data)

    @extend_schema(
        request=None,
        responses={
            202: UserFileSerializer,
            400: error("The file is being read now, or was read already."),
        },
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: int) -> Response:
        try:
            file = services.retry_file(file=self.get_object())
        except services.FileNotRetryable as error:
            raise ValidationError(str(error)) from error
        return Response(UserFileSerializer(file).data, status=status.HTTP_202_ACCEPTED)
