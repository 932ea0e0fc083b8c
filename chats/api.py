"""JSON API for chats and messages: validate, call a service, serialize."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.text import slugify
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from chats import selectors, services
from chats.export import chat_as_json, chat_as_markdown
from chats.models import ChatMessage, ChatSession
from chats.serializers import (
    ChatMessageSerializer,
    ChatSessionSerializer,
    FeedbackSerializer,
    PostMessageSerializer,
)
from onyx_site.api_errors import Conflict, TooManyRequests
from onyx_site.pagination import NumberedPage


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


@contextmanager
def reply_limits_as_api_errors() -> Iterator[None]:
    """A new reply refused by the send rate (429), its busy chat (409) or the user's cap (429)."""
    try:
        yield
    except services.SendRateExceeded as error:
        raise TooManyRequests(str(error), wait=error.retry_after) from error
    except services.ChatBusy as error:
        raise Conflict(str(error)) from error
    except services.TooManyReplies as error:
        raise TooManyRequests(str(error)) from error


class NewestFirstCursor(CursorPagination):
    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF checks the cursor's offset but not its position, which goes into the query as an
        # id: a forged one would fail there as a ValueError (500).
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            position = str(cursor.position)
            if not (position.isascii() and position.isdigit() and len(position) <= 18):
                raise NotFound(self.invalid_cursor_message)
        return cursor


class ChatViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[ChatSession],
):
    serializer_class = ChatSessionSerializer
    lookup_value_converter = "int"
    pagination_class = NumberedPage
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> Any:
        if self.action == "list":
            return selectors.chats_for(_user(self.request))
        return ChatSession.objects.for_user(_user(self.request))

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_chat(
            user=_user(self.request), title=serializer.validated_data.get("title", "")
        )

    def perform_update(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.update_chat(
            chat=serializer.instance,
            title=data.get("title"),
            pinned=data.get("pinned"),
            archived=data.get("archived"),
            files=data.get("files"),
        )

    def perform_destroy(self, instance: ChatSession) -> None:
        services.delete_chat(chat=instance)

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="Words to find in titles and messages")]
    )
    @action(detail=False, methods=["get"])
    def search(self, request: Request) -> Response:
        text = request.query_params.get("q", "").strip()
        if not text:
            raise ValidationError({"q": ["Say what to search for."]})
        if len(text) > 200:
            raise ValidationError({"q": ["Search for at most 200 characters."]})
        hits = selectors.search_chats(_user(request), text)
        return Response(
            [
                {
                    "chat": ChatSessionSerializer(hit.chat).data,
                    "message": ChatMessageSerializer(hit.message).data if hit.message else None,
                    "rank": round(hit.rank, 4),
                }
                for hit in hits
            ]
        )

    @extend_schema(
        parameters=[OpenApiParameter("type", str, enum=["markdown", "json"], default="markdown")],
        responses={(200, "text/markdown"): str, (200, "application/json"): dict},
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> HttpResponse:
        chat = self.get_object()
        kind = request.query_params.get("type", "markdown")
        messages = ChatMessage.objects.for_user(_user(request)).current().filter(chat=chat)
        name = slugify(chat.display_title) or f"chat-{chat.pk}"
        if kind == "markdown":
            response = HttpResponse(
                chat_as_markdown(chat, messages), content_type="text/markdown; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.md"'
        elif kind == "json":
            body = json.dumps(chat_as_json(chat, messages), ensure_ascii=False, indent=2)
            response = HttpResponse(body, content_type="application/json")
            response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        else:
            raise ValidationError({"type": ["Choose markdown or json."]})
        return response


class PostedMessageSerializer(serializers.Serializer[Any]):
    user_message = ChatMessageSerializer()
    reply = ChatMessageSerializer()


class MessageViewSet(viewsets.GenericViewSet[ChatMessage]):
    serializer_class = ChatMessageSerializer
    pagination_class = NewestFirstCursor

    def _chat(self) -> ChatSession:
        return get_object_or_404(
            ChatSession.objects.for_user(_user(self.request)), pk=self.kwargs["chat_pk"]
        )

    def get_queryset(self) -> Any:
        messages = ChatMessage.objects.for_user(_user(self.request)).filter(
            chat_id=self.kwargs["chat_pk"]
        )
        if self.request.query_params.get("include_superseded") != "true":
            messages = messages.current()
        return messages

    def _reply(self) -> ChatMessage:
        return get_object_or_404(
            self.get_queryset().filter(role=ChatMessage.Role.ASSISTANT), pk=self.kwargs["pk"]
        )

    @extend_schema(
        parameters=[OpenApiParameter("include_superseded", bool, default=False)],
    )
    def list(self, request: Request, chat_pk: str) -> Response:
        services.recover_stalled_replies(user=_user(request), chat=self._chat())
        page = selectors.with_text_so_far(self.paginate_queryset(self.get_queryset()) or [])
        return self.get_paginated_response(ChatMessageSerializer(page, many=True).data)

    @extend_schema(request=PostMessageSerializer, responses={201: PostedMessageSerializer})
    def create(self, request: Request, chat_pk: str) -> Response:
        chat = self._chat()
        body = PostMessageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            with reply_limits_as_api_errors():
                posted = services.post_message(
                    user=_user(request),
                    chat=chat,
                    content=body.validated_data["content"],
                    client_id=body.validated_data.get("client_id"),
                )
        except services.InvalidMessage as error:
            raise ValidationError({"content": [str(error)]}) from error
        data = PostedMessageSerializer(
            {"user_message": posted.user_message, "reply": posted.reply}
        ).data
        return Response(data, status=status.HTTP_201_CREATED if posted.created else 200)

    def retrieve(self, request: Request, chat_pk: str, pk: str) -> Response:
        message = get_object_or_404(self.get_queryset(), pk=pk)
        [message] = selectors.with_text_so_far([message])
        return Response(ChatMessageSerializer(message).data)

    @extend_schema(request=None, responses=ChatMessageSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, chat_pk: str, pk: str) -> Response:
        [reply] = selectors.with_text_so_far([services.stop_reply(reply=self._reply())])
        return Response(ChatMessageSerializer(reply).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={201: ChatMessageSerializer})
    @action(detail=True, methods=["post"])
    def regenerate(self, request: Request, chat_pk: str, pk: str) -> Response:
        try:
            with reply_limits_as_api_errors():
                new_reply = services.regenerate_reply(reply=self._reply())
        except services.InvalidMessage as error:
            raise ValidationError(str(error)) from error
        return Response(ChatMessageSerializer(new_reply).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FeedbackSerializer, responses=ChatMessageSerializer)
    @action(detail=True, methods=["post"])
    def feedback(self, request: Request, chat_pk: str, pk: str) -> Response:
        reply = self._reply()  # another user's reply is a 404 before anything else
        body = FeedbackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = services.set_feedback(
            message=reply,
            value=body.validated_data["value"],
            comment=body.validated_data["comment"],
        )
        return Response(ChatMessageSerializer(message).data)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ChatMessage.DoesNotExist | ChatSession.DoesNotExist):
            exc = NotFound()
        return super().handle_exception(exc)
