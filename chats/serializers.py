"""The JSON shape of chats and messages, the same in the API and in live events."""

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from django.core.validators import RegexValidator
from rest_framework import serializers

from chats import catalogue
from chats.branches import MessageJson
from chats.models import MAX_SYSTEM_PROMPT_CHARS, ChatMessage, ChatSession
from chats.rendering import render_assistant_markdown, render_user_text
from chats.selectors import ChatRow
from files.models import UserFile
from onyx_site.strict_input import StrictTypes

MAX_MESSAGE_CHARS = 32_000
MAX_TITLE_CHARS = 200


def _datetime(value: datetime | str) -> str:
    """As DRF's DateTimeField writes it (ISO 8601, UTC as "Z"), without its per-call
    time-zone lookups: every time here is UTC (settings.TIME_ZONE). A time PostgreSQL already
    wrote so (a ChatRow's) is used as it is."""
    if isinstance(value, str):
        return value
    if value.tzinfo is not UTC:  # times read from PostgreSQL already are (onyx_site/db_times.py)
        value = value.astimezone(UTC)
    return value.isoformat()[:-6] + "Z"


class AttachedFileSerializer(serializers.ModelSerializer[UserFile]):
    class Meta:
        model = UserFile
        fields = ["id", "name", "kind", "size", "status"]
        read_only_fields = fields


class ChatSessionSerializer(StrictTypes, serializers.ModelSerializer[ChatSession]):
    # Limits apply to the text as sent (services strip it), so they are what the schema says.
    title = serializers.CharField(
        max_length=MAX_TITLE_CHARS, allow_blank=True, required=False, trim_whitespace=False
    )
    # The files this chat answers from; empty means all of the owner's files. Only the
    # requesting user's own files can be named: anyone else's id is "does not exist".
    file_ids = serializers.PrimaryKeyRelatedField(
        source="files", many=True, required=False, queryset=UserFile.objects.for_user(None)
    )
    files = AttachedFileSerializer(
        many=True, read_only=True, help_text="The files of file_ids, for showing them."
    )
    active_leaf_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The last message of the branch shown."
    )
    model = serializers.CharField(
        max_length=300,
        allow_blank=True,
        required=False,
        trim_whitespace=False,
        help_text="The id of a model from /api/models/ that answers in this chat; "
        "empty for the server's default.",
    )
    system_prompt = serializers.CharField(
        max_length=MAX_SYSTEM_PROMPT_CHARS,
        allow_blank=True,
        required=False,
        trim_whitespace=False,
        help_text="Said to the model before the conversation, in every reply of this chat.",
    )

    class Meta:
        model = ChatSession
        fields = [
            "id",
            "title",
            "pinned",
            "archived",
            "file_ids",
            "files",
            "model",
            "system_prompt",
            "active_leaf_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "active_leaf_id", "created_at", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            field = self.fields["file_ids"]
            field.child_relation.queryset = UserFile.objects.for_user(request.user)  # type: ignore[attr-defined]

    def to_representation(self, instance: ChatSession | ChatRow) -> dict[str, Any]:
        # By hand, as DRF would build it: a page of 100 chats costs a fraction of a millisecond
        # instead of several (a test keeps both the same). `attached_files` comes from
        # chats.selectors (attach_chat_files, or a ChatRow of the list), so nothing here queries.
        files = instance.attached_files
        return {
            "id": instance.pk,
            "title": instance.title,
            "pinned": instance.pinned,
            "archived": instance.archived,
            "file_ids": [file["id"] for file in files],
            "files": files,
            "model": instance.model,
            "system_prompt": instance.system_prompt,
            "active_leaf_id": instance.active_leaf_id,
            "created_at": _datetime(instance.created_at),
            "updated_at": _datetime(instance.updated_at),
        }

    def validate_model(self, key: str) -> str:
        if key and key not in {model.key for model in catalogue.offered_models()}:
            raise serializers.ValidationError(
                "This model is not offered here. Choose one of /api/models/."
            )
        return key


# A message as shown: its `siblings` are attached first (chats.selectors.ready_to_show), so
# serializing never queries.
class ChatMessageSerializer(serializers.ModelSerializer[ChatMessage]):
    html = serializers.SerializerMethodField()
    chat_id = serializers.IntegerField(read_only=True)
    parent_id = serializers.IntegerField(read_only=True, allow_null=True)
    sibling_ids = serializers.SerializerMethodField(
        help_text="Every version of this message (same parent), oldest first, itself included."
    )
    sibling_index = serializers.SerializerMethodField(help_text="Its place in sibling_ids, from 0.")
    sibling_count = serializers.SerializerMethodField()
    citations = serializers.SerializerMethodField(
        help_text="The file passages a reply used: n, file_id, file_name, chunk_index, passage, "
        "url (the file page at the passage; null when the file was deleted) and deleted."
    )

    class Meta:
        model = ChatMessage
        fields = [
            "id",
            "chat_id",
            "role",
            "content",
            "status",
            "error",
            "model_name",
            "prompt_tokens",
            "completion_tokens",
            "client_id",
            "parent_id",
            "sibling_ids",
            "sibling_index",
            "sibling_count",
            "feedback",
            "feedback_comment",
            "created_at",
            "html",
            "citations",
        ]
        read_only_fields = fields

    def to_representation(self, instance: ChatMessage) -> dict[str, Any]:
        # By hand, as DRF would build it (a test keeps both the same): ~1 ms per message less.
        siblings = instance.siblings
        return {
            "id": instance.pk,
            "chat_id": instance.chat_id,
            "role": instance.role,
            "content": instance.content,
            "status": instance.status,
            "error": instance.error,
            "model_name": instance.model_name,
            "prompt_tokens": instance.prompt_tokens,
            "completion_tokens": instance.completion_tokens,
            "client_id": instance.client_id,
            "parent_id": instance.parent_id,
            "sibling_ids": list(siblings.ids),
            "sibling_index": siblings.index,
            "sibling_count": siblings.count,
            "feedback": instance.feedback,
            "feedback_comment": instance.feedback_comment,
            "created_at": _datetime(instance.created_at),
            "html": self.get_html(instance),
            "citations": instance.shown_citations,
        }

    def get_citations(self, message: ChatMessage) -> list[dict[str, Any]]:
        return message.shown_citations

    def get_sibling_ids(self, message: ChatMessage) -> list[int]:
        return list(message.siblings.ids)

    def get_sibling_index(self, message: ChatMessage) -> int:
        return message.siblings.index

    def get_sibling_count(self, message: ChatMessage) -> int:
        return message.siblings.count

    def get_html(self, message: ChatMessage) -> str:
        return _html(message.role, message.content)


def _html(role: str, content: str) -> str:
    if role == ChatMessage.Role.USER:
        return render_user_text(content)
    return render_assistant_markdown(content)  # kept once rendered


# A finished message's HTML as JSON, kept for texts of up to _KEPT_CHARS (most messages): a
# listed page then encodes none of them again (~10,000 instructions a message of accents, CJK or
# emoji). Longer ones are encoded each time, so each cache holds a few megabytes for usual text
# and ~20 MB at most (512 texts of 4,000 emoji and their HTML). A reply being written is not
# kept: its text changes at every read and would push finished ones out.
_KEPT_CHARS = 4_000


@lru_cache(maxsize=512)
def _user_html_json(content: str) -> bytes:
    return orjson.dumps(render_user_text(content))


@lru_cache(maxsize=512)
def _assistant_html_json(content: str) -> bytes:
    return orjson.dumps(render_assistant_markdown(content))


def _html_json(role: str, content: str, *, finished: bool) -> bytes:
    if not finished or len(content) > _KEPT_CHARS:
        return orjson.dumps(_html(role, content))
    if role == ChatMessage.Role.USER:
        return _user_html_json(content)
    return _assistant_html_json(content)


def listed_message_json(message: MessageJson) -> orjson.Fragment:
    """What ChatMessageSerializer writes for a message the API lists, the same bytes (a test
    keeps them so): the JSON PostgreSQL wrote, with its `html` and `citations` (the serializer's
    last fields) added."""
    written = message.written
    if not message.is_finished:  # the reply's text so far is newer than its row's
        fields = orjson.loads(written)
        fields["content"] = message.content
        written = orjson.dumps(fields)
    citations = orjson.dumps(message.shown_citations) if message.shown_citations else b"[]"
    return orjson.Fragment(
        b"".join(
            (
                written[:-1],
                b',"html":',
                _html_json(message.role, message.content, finished=message.is_finished),
                b',"citations":',
                citations,
                b"}",
            )
        )
    )


class PostMessageSerializer(StrictTypes):
    content = serializers.CharField(
        max_length=MAX_MESSAGE_CHARS,
        trim_whitespace=False,
        validators=[RegexValidator(r"\S", message="Write a message first.")],
        help_text="Not only spaces.",
    )
    client_id = serializers.CharField(
        min_length=1,
        max_length=64,
        required=False,
        trim_whitespace=False,
        help_text="Your id for this message: sending it again in the same chat returns the "
        "message first sent with it instead of a new one.",
    )


class FeedbackSerializer(StrictTypes):
    value = serializers.ChoiceField(choices=[1, -1], allow_null=True)
    comment = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", trim_whitespace=False
    )
