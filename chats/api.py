"""JSON API for chats and messages: validate, call a service, serialize."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.text import slugify
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from accounts.models import User
from chats import branches, catalogue, selectors, services
from chats.branches import BranchPage
from chats.export import chat_as_json, chat_as_markdown
from chats.models import ChatMessage, ChatSession
from chats.serializers import (
    ChatMessageSerializer,
    ChatSessionSerializer,
    FeedbackSerializer,
    PostMessageSerializer,
    listed_message_json,
)
from onyx_site.api_errors import Conflict, TooManyRequests, no_such
from onyx_site.api_schema import REPLY_LIMITS, error
from onyx_site.pagination import TotalInRowsPage, int_parameter, query_int
from onyx_site.row_ids import parse_row_id
from onyx_site.strict_input import StrictTypes

MAX_SEARCH_CHARS = 200


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


class BranchCursor(BasePagination):
    """Pages of the branch a chat shows, newest first; `next` leads to older messages. The
    cursor names the oldest message of the page before, so a page never shifts while new
    messages arrive."""

    page_size = 50
    max_page_size = 200

    def page_size_for(self, request: Request) -> int:
        return query_int(
            request, "page_size", default=self.page_size, minimum=1, maximum=self.max_page_size
        )

    def before_id(self, request: Request) -> int | None:
        """The message the cursor names (0, no message's id, for one that is not a number)."""
        raw = request.query_params.get("cursor")
        if raw is None:
            return None
        message_id = parse_row_id(raw)
        return message_id if message_id is not None else 0

    def paginated(self, request: Request, page: BranchPage[Any], results: Any) -> Response:
        next_url = None
        if page.older and page.messages:
            next_url = replace_query_param(
                request.build_absolute_uri(), "cursor", page.messages[-1].pk
            )
        return Response({"next": next_url, "previous": None, "results": results})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": "From `next`: the page of older messages on the same branch.",
                "schema": {"type": "string"},
            },
            int_parameter(
                "page_size",
                f"At most {self.max_page_size}; {self.page_size} by default.",
                minimum=1,
                maximum=self.max_page_size,
            ),
        ]


class SearchHitSerializer(serializers.Serializer[Any]):
    chat = ChatSessionSerializer()
    message = ChatMessageSerializer(
        allow_null=True, help_text="The best matching message; null when the title matched."
    )
    rank = serializers.FloatField(help_text="Higher is a better match.")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["rank"] = round(instance.rank, 4)
        return data


class BranchChoiceSerializer(StrictTypes):
    message_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class ShownBranchSerializer(serializers.Serializer[Any]):
    active_leaf_id = serializers.IntegerField()
    fork_id = serializers.IntegerField()
    fork_parent_id = serializers.IntegerField(allow_null=True)
    path = serializers.ListField(child=serializers.IntegerField())


class OfferedModelSerializer(serializers.Serializer[Any]):
    id = serializers.CharField(source="key", help_text="What a chat's `model` takes.")
    name = serializers.CharField(help_text="The model's name, as its server knows it.")
    connection = serializers.CharField(help_text="Where it runs, as the operator named it.")
    builtin = serializers.BooleanField(help_text="The offline built-in assistant.")
    default = serializers.BooleanField(help_text="Answers in chats that chose no model.")


class ModelListView(APIView):
    """The models a chat may use: the enabled connections' models, and the built-in assistant."""

    @extend_schema(responses=OfferedModelSerializer(many=True))
    def get(self, request: Request) -> Response:
        offered = catalogue.offered_models()
        default = catalogue.default_key(offered)
        rows = [
            {
                "key": model.key,
                "name": model.name,
                "connection": model.connection,
                "builtin": model.server is None,
                "default": model.key == default,
            }
            for model in offered
        ]
        return Response(OfferedModelSerializer(rows, many=True).data)


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
    pagination_class = TotalInRowsPage
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> Any:
        return ChatSession.objects.for_user(_user(self.request))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _user(request)

        def read(offset: int, limit: int) -> tuple[list[selectors.ChatRow], int | None]:
            return selectors.chat_page(user, offset=offset, limit=limit)

        page = self.paginate_queryset(read)  # type: ignore[arg-type]
        return self.get_paginated_response(ChatSessionSerializer(page, many=True).data)

    def get_object(self) -> ChatSession:
        chat = super().get_object()
        selectors.attach_chat_files(_user(self.request), [chat])
        return chat

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.create_chat(
            user=_user(self.request),
            title=data.get("title", ""),
            model=data.get("model", ""),
            system_prompt=data.get("system_prompt", ""),
        )
        selectors.attach_chat_files(_user(self.request), [serializer.instance])

    def perform_update(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.update_chat(
            chat=serializer.instance,
            title=data.get("title"),
            pinned=data.get("pinned"),
            archived=data.get("archived"),
            files=data.get("files"),
            model=data.get("model"),
            system_prompt=data.get("system_prompt"),
        )
        selectors.attach_chat_files(_user(self.request), [serializer.instance])

    def perform_destroy(self, instance: ChatSession) -> None:
        services.delete_chat(chat=instance)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ChatSession.DoesNotExist):
            exc = NotFound()  # deleted while this request was on its way
        return super().handle_exception(exc)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                {"type": "string", "minLength": 1, "maxLength": MAX_SEARCH_CHARS, "pattern": r"\S"},
                required=True,
                description="Words to find in titles and messages (not only spaces).",
            )
        ],
        responses=SearchHitSerializer(many=True),
        description="The user's chats whose title or messages match, best first, each once "
        "with its best matching message (null when the title matched).",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def search(self, request: Request) -> Response:
        raw = request.query_params.get("q", "")
        if len(raw) > MAX_SEARCH_CHARS:
            raise ValidationError({"q": [f"Search for at most {MAX_SEARCH_CHARS} characters."]})
        if not raw.strip():
            raise ValidationError({"q": ["Say what to search for."]})
        hits = selectors.search_chats(_user(request), raw)
        selectors.attach_chat_files(_user(request), [hit.chat for hit in hits])
        selectors.ready_to_show(_user(request), [hit.message for hit in hits if hit.message])
        return Response(SearchHitSerializer(hits, many=True).data)

    @extend_schema(
        request=BranchChoiceSerializer,
        responses=ShownBranchSerializer,
        description="Show the branch through `message_id` (one version of a message), down to "
        "its most recent message. Every tab gets a `chat.branch` event.",
    )
    @action(detail=True, methods=["post"])
    def branch(self, request: Request, pk: str) -> Response:
        chat = self.get_object()
        body = BranchChoiceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = (
            ChatMessage.objects.for_user(_user(request))
            .filter(chat=chat, pk=body.validated_data["message_id"])
            .first()
        )
        if message is None:
            raise ValidationError({"message_id": ["There is no such message in this chat."]})
        shown = services.show_branch(user=_user(request), chat=chat, message=message)
        return Response(ShownBranchSerializer(shown.as_dict()).data)

    @extend_schema(
        parameters=[OpenApiParameter("type", str, enum=["markdown", "json"], default="markdown")],
        responses={(200, "text/markdown"): str, (200, "application/json"): dict},
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> HttpResponse:
        chat = self.get_object()
        kind = request.query_params.get("type", "markdown")
        messages = reversed(
            branches.shown_branch(_user(request), chat, limit=branches.WHOLE_BRANCH).messages
        )
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
    pagination_class = BranchCursor

    def _chat(self) -> ChatSession:
        try:
            return ChatSession.objects.one_for_user(_user(self.request), self.kwargs["chat_pk"])
        except ChatSession.DoesNotExist:
            raise no_such(ChatSession) from None

    def get_queryset(self) -> Any:
        return ChatMessage.objects.for_user(_user(self.request)).filter(
            chat_id=self.kwargs["chat_pk"]
        )

    def _message(self, **role: str) -> ChatMessage:
        return get_object_or_404(self.get_queryset().filter(**role), pk=self.kwargs["pk"])

    def _reply(self) -> ChatMessage:
        return self._message(role=ChatMessage.Role.ASSISTANT)

    def find_url_objects(self) -> None:
        """onyx_site/api_metadata.py: the chat, and the message if the URL names one."""
        self._chat()
        if "pk" in self.kwargs:
            self._message()

    def _shown(self, message: ChatMessage) -> Any:
        [shown] = selectors.ready_to_show(_user(self.request), [message])
        return ChatMessageSerializer(shown).data

    @extend_schema(
        description="The branch the chat shows, newest first: each message with its "
        "`parent_id` and its versions (`sibling_ids`, `sibling_index`, `sibling_count`)."
    )
    def list(self, request: Request, chat_pk: int) -> Response:
        user = _user(request)
        paginator = BranchCursor()
        try:
            limit = paginator.page_size_for(request)
        except ValidationError:
            self._chat()  # another user's chat is a 404 whatever is asked of it
            raise
        before_id = paginator.before_id(request)
        try:
            page = services.shown_branch_now(
                user=user,
                chat_id=chat_pk,
                read=lambda: branches.chat_branch_json(
                    user, chat_id=chat_pk, limit=limit, before_id=before_id
                ),
            )
        except ChatSession.DoesNotExist:
            raise no_such(ChatSession) from None
        except ChatMessage.DoesNotExist:
            wrong = "This cursor does not belong to this chat."
            raise ValidationError({"cursor": [wrong]}) from None
        listed = selectors.ready_to_list(user, page.messages)
        return paginator.paginated(request, page, [listed_message_json(m) for m in listed])

    def _send(self, request: Request, *, edit_of: ChatMessage | None) -> Response:
        chat = self._chat()
        body = PostMessageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        content, client_id = body.validated_data["content"], body.validated_data.get("client_id")
        user = _user(request)
        try:
            with reply_limits_as_api_errors():
                if edit_of is None:
                    posted = services.post_message(
                        user=user, chat=chat, content=content, client_id=client_id
                    )
                else:
                    posted = services.edit_message(
                        user=user, chat=chat, message=edit_of, content=content, client_id=client_id
                    )
        except services.InvalidMessage as error:
            raise ValidationError({"content": [str(error)]}) from error
        data = PostedMessageSerializer(
            {"user_message": posted.user_message, "reply": posted.reply}
        ).data
        return Response(data, status=status.HTTP_201_CREATED if posted.created else 200)

    @extend_schema(
        request=PostMessageSerializer,
        responses={
            201: PostedMessageSerializer,
            200: OpenApiResponse(
                PostedMessageSerializer, description="The message first sent with this client_id."
            ),
            **REPLY_LIMITS,
        },
    )
    def create(self, request: Request, chat_pk: str) -> Response:
        return self._send(request, edit_of=None)

    def retrieve(self, request: Request, chat_pk: str, pk: str) -> Response:
        return Response(self._shown(self._message()))

    @extend_schema(
        request=PostMessageSerializer,
        responses={
            201: PostedMessageSerializer,
            200: OpenApiResponse(
                PostedMessageSerializer, description="The version first sent with this client_id."
            ),
            400: error("Not valid, or the message is a reply (only your own messages are edited)."),
            **REPLY_LIMITS,
        },
        description="Send a new version of one of your messages: a sibling of it with a new "
        "reply, shown from now on. The original stays, as another branch.",
    )
    @action(detail=True, methods=["post"])
    def edit(self, request: Request, chat_pk: str, pk: str) -> Response:
        return self._send(request, edit_of=self._message())

    @extend_schema(request=None, responses={202: ChatMessageSerializer})
    @action(detail=True, methods=["post"])
    def stop(self, request: Request, chat_pk: str, pk: str) -> Response:
        reply = services.stop_reply(reply=self._reply())
        return Response(self._shown(reply), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={
            201: ChatMessageSerializer,
            400: error("This reply answers no question, so it cannot be written again."),
            **REPLY_LIMITS,
        },
    )
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
        return Response(self._shown(message))

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ChatMessage.DoesNotExist | ChatSession.DoesNotExist):
            exc = NotFound()
        return super().handle_exception(exc)
