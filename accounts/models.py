"""The user: email is the login, with a role and preferences kept server-side."""

import unicodedata
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

# Format (zero-width, direction marks, soft hyphen), control, private-use, unassigned, surrogate
# and line/paragraph separators: none belongs in an address, and they make look-alikes.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Co", "Cn", "Cs", "Zl", "Zp"})
INVISIBLE_CHARACTERS_MESSAGE = (
    "An email address cannot contain invisible or control characters (such as a zero-width "
    "space). Type it again."
)


def normalize_email_address(email: str) -> str:
    """One spelling per address: NFKC (full-width and other compatibility forms become plain
    ones), trimmed, lower case."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def validate_visible_email(email: str) -> None:
    if any(unicodedata.category(char) in _INVISIBLE_CATEGORIES for char in email):
        raise ValidationError(INVISIBLE_CHARACTERS_MESSAGE, code="invisible_characters")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> "User":
        return self.get(email=normalize_email_address(username or ""))

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        validate_visible_email(email)
        user = self.model(email=normalize_email_address(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", User.Role.ADMIN)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        BASIC = "basic", "Basic"

    class Theme(models.TextChoices):
        SYSTEM = "system", "Follow the system"
        LIGHT = "light", "Light"
        DARK = "dark", "Dark"

    class SendShortcut(models.TextChoices):
        ENTER = "enter", "Enter sends, Shift+Enter adds a line"
        CTRL_ENTER = "ctrl_enter", "Ctrl+Enter sends, Enter adds a line"

    email = models.EmailField(
        "email address", max_length=254, unique=True, validators=[validate_visible_email]
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.BASIC)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        "operator", default=False, help_text="Operators can sign in to the admin site."
    )
    theme = models.CharField(max_length=16, choices=Theme.choices, default=Theme.SYSTEM)
    send_shortcut = models.CharField(
        max_length=16, choices=SendShortcut.choices, default=SendShortcut.ENTER
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email_address(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalize_email_address(self.email)
        super().save(*args, **kwargs)
