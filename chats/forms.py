"""Forms of the chat pages (the JavaScript composer posts to the API instead)."""

from django import forms

from chats.serializers import MAX_MESSAGE_CHARS, MAX_TITLE_CHARS


class ComposerForm(forms.Form):
    content = forms.CharField(
        max_length=MAX_MESSAGE_CHARS,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "Message the assistant…", "autofocus": True}
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


class RenameForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE_CHARS, required=False)
