"""Operators connect OpenAI-compatible servers here, and test them.

The API key is write-only: the form never shows it, an empty field keeps the saved key, and a
box clears it. It is in no list column, message or log line either.
"""

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from chats.connection_check import check_connection
from chats.models import ModelConnection


class ModelNamesField(forms.CharField):
    """The models to offer, one per line."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        lines = (line.strip() for line in str(value or "").splitlines())
        return list(dict.fromkeys(line for line in lines if line))


class ModelConnectionForm(forms.ModelForm[ModelConnection]):
    api_key = forms.CharField(
        required=False,
        strip=True,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Sent as a Bearer token. Never shown again: leave empty to keep the saved key.",
    )
    clear_api_key = forms.BooleanField(required=False, label="Remove the saved API key")
    model_names = ModelNamesField(
        required=False,
        label="Models to offer",
        help_text="One per line, as the server names them (Test connection lists them).",
    )

    class Meta:
        model = ModelConnection
        fields = ["name", "base_url", "api_key", "model_names", "enabled"]

    def clean_base_url(self) -> str:
        url: str = self.cleaned_data["base_url"].strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise forms.ValidationError(
                "Give the server's address with http:// or https://, "
                "for example http://127.0.0.1:11434/v1."
            )
        return url.rstrip("/")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Kept aside before the form empties the field on the instance; never rendered.
        self._saved_api_key = self.instance.api_key
        if self._saved_api_key:
            self.fields[
                "api_key"
            ].help_text = "A key is saved. Type a new one to replace it, or leave empty to keep it."

    def save(self, commit: bool = True) -> ModelConnection:
        connection = super().save(commit=False)
        if self.cleaned_data.get("clear_api_key"):
            connection.api_key = ""
        elif not self.cleaned_data.get("api_key"):
            connection.api_key = self._saved_api_key
        if commit:
            connection.save()
        return connection


@admin.register(ModelConnection)
class ModelConnectionAdmin(admin.ModelAdmin[ModelConnection]):
    form = ModelConnectionForm
    list_display = ("name", "base_url", "offered", "has_api_key", "enabled")
    list_filter = ("enabled",)
    search_fields = ("name", "base_url")
    actions = ["test_connection"]
    fields = ["name", "base_url", "api_key", "clear_api_key", "model_names", "enabled"]

    @admin.display(description="Models offered")
    def offered(self, connection: ModelConnection) -> str:
        return ", ".join(connection.model_names) or "none"

    @admin.display(description="API key", boolean=True)
    def has_api_key(self, connection: ModelConnection) -> bool:
        return bool(connection.api_key)

    @admin.action(description="Test connection (list the server's /v1/models)")
    def test_connection(self, request: HttpRequest, queryset: QuerySet[ModelConnection]) -> None:
        for connection in queryset:
            report = check_connection(connection)
            level = messages.SUCCESS if report.ok and not report.missing else messages.WARNING
            self.message_user(
                request,
                f"{connection.name}: {report.summary}",
                level if report.ok else messages.ERROR,
            )
