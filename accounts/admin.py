"""Operators manage users here: search, filter, deactivate, and end all of a user's sessions."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts import services
from accounts.forms import EmailAddressField
from accounts.models import User


class OnyxUserChangeForm(UserChangeForm[User]):
    class Meta:
        model = User
        fields = "__all__"
        field_classes = {"email": EmailAddressField}


class OnyxUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)
        field_classes = {"email": EmailAddressField}


@admin.register(User)
class UserAdmin(DjangoUserAdmin[User]):  # type: ignore[type-var]  # stubs want AbstractUser
    form = OnyxUserChangeForm
    add_form = OnyxUserCreationForm
    ordering = ("email",)
    list_display = ("email", "role", "is_active", "is_staff", "created_at")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email",)
    readonly_fields = ("created_at", "updated_at", "last_login")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Role and access", {"fields": ("role", "is_active", "is_staff", "is_superuser")}),
        ("Preferences", {"fields": ("theme", "send_shortcut")}),
        ("Permissions", {"classes": ("collapse",), "fields": ("groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )
    actions = ["revoke_sessions", "deactivate"]

    @admin.action(description="Revoke all sessions of the selected users")
    def revoke_sessions(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        ended = sum(services.revoke_all_sessions(user=user) for user in queryset)
        self.message_user(request, f"{ended} session(s) ended.", messages.SUCCESS)

    @admin.action(description="Deactivate the selected users (ends their sessions)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        count = 0
        for user in queryset.filter(is_active=True):
            user.is_active = False
            user.save(update_fields=["is_active", "updated_at"])  # the signal ends the sessions
            count += 1
        self.message_user(request, f"{count} user(s) deactivated.", messages.SUCCESS)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], Any]:
        return super().get_search_results(request, queryset, search_term.strip().lower())
