"""Forms for signing in and up, and for the account page."""

from django import forms
from django.contrib.auth import password_validation

from accounts.models import User, normalize_email_address, validate_visible_email


class EmailAddressField(forms.EmailField):
    """An email address in its one normal spelling (NFKC, lower case), without invisible
    characters, for every form that names an account."""

    default_validators = [validate_visible_email, *forms.EmailField.default_validators]

    def to_python(self, value: object) -> str:
        return normalize_email_address(super().to_python(value) or "")


class LoginForm(forms.Form):
    email = EmailAddressField(
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class SignupForm(forms.Form):
    email = EmailAddressField(
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Sign in instead."
            )
        return email

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords do not match.")
        elif isinstance(first, str):
            candidate = User(email=cleaned.get("email", ""))
            try:
                password_validation.validate_password(first, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class PreferencesForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ["theme", "send_shortcut"]
        widgets = {"theme": forms.RadioSelect, "send_shortcut": forms.RadioSelect}
