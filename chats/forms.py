"""Forms of the chat pages (the JavaScript composer posts to the API instead)."""

from typing import Any

from django import forms

from accounts.models import User
from chats.catalogue import OfferedModel
from chats.models import MAX_SYSTEM_PROMPT_CHARS
from chats.serializers import MAX_MESSAGE_CHARS, MAX_TITLE_CHARS
from files import selectors as file_selectors
from files.models import UserFile


class ComposerForm(forms.Form):
    content = forms.CharField(
        max_length=MAX_MESSAGE_CHARS,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 1,
                "placeholder": "Message the assistant…",
                "autofocus": True,
                "aria-label": "Message",
                "enterkeyhint": "send",
            }
        ),
        error_messages={
            "required": "Write a message first.",
            "max_length": f"A message can be at most {MAX_MESSAGE_CHARS:,} characters.",
        },
    )
    client_id = forms.CharField(max_length=64, required=False, widget=forms.HiddenInput)

    def clean_content(self) -> str:
        content: str = self.cleaned_data["content"]
        if not content.strip():
            raise forms.ValidationError("Write a message first.")
        return content


class BranchForm(forms.Form):
    message_id = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class RenameForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE_CHARS, required=False)


class ChatFlagForm(forms.Form):
    on = forms.TypedChoiceField(
        choices=[("true", "on"), ("false", "off")], coerce=lambda value: value == "true"
    )


class _OwnFilesForm(forms.Form):
    """A form whose file fields offer the user's own files only (another's is not a choice)."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._user = user
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):  # the multiple choice field too
                field.queryset = UserFile.objects.for_user(user)


class ChatFilesForm(_OwnFilesForm):
    """Which of the owner's files a chat answers from; none chosen means all of them. Any of
    them can be chosen; the chooser lists those of list_for_chooser(), with a checkbox each
    written by its template (Django's widget took 10 ms for 50)."""

    use_files = forms.ModelMultipleChoiceField(
        queryset=UserFile.objects.for_user(None), required=False
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.listed: list[file_selectors.ChooserFile] = []
        self.ticked: set[int] = set()
        self.unlisted = 0

    def list_for_chooser(self, attached: list[UserFile]) -> None:
        """Offer `attached` (all of them, ticked) and the newest of the user's other files
        (files.selectors.files_for_chooser())."""
        self.listed, self.unlisted = file_selectors.files_for_chooser(self._user, attached)
        self.ticked = {file.pk for file in attached}


class DetachFileForm(_OwnFilesForm):
    """One of the owner's files, no longer to answer from (a chip's remove button)."""

    detach = forms.ModelChoiceField(queryset=UserFile.objects.for_user(None))


class ChatModelForm(forms.Form):
    """Which model answers in a chat, and what it is told first."""

    model = forms.ChoiceField(required=False, label="Model")
    system_prompt = forms.CharField(
        required=False,
        max_length=MAX_SYSTEM_PROMPT_CHARS,
        label="System prompt",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "max_length": f"A system prompt can be at most {MAX_SYSTEM_PROMPT_CHARS:,} characters."
        },
    )

    def __init__(self, *args: Any, offered: list[OfferedModel], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["model"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Server default")] + [
            (model.key, f"{model.name} ({model.connection})") for model in offered
        ]
        field.error_messages["invalid_choice"] = "Choose one of the models offered here."
