"""Make sure a first operator exists, and print how to sign in."""

import secrets
from typing import Any

from django.core.management.base import BaseCommand

from accounts.models import User


class Command(BaseCommand):
    help = (
        "Create the first admin if no staff user exists (ONYX_ADMIN_EMAIL / ONYX_ADMIN_PASSWORD)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--email", default=None)
        parser.add_argument("--password", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        import os

        email = options["email"] or os.environ.get("ONYX_ADMIN_EMAIL", "admin@example.com")
        existing = User.objects.filter(is_staff=True, is_active=True).order_by("pk").first()
        if existing is not None:
            self.stdout.write(f"Admin exists: sign in at /login/ or /admin/ as {existing.email}.")
            return
        password = (
            options["password"]
            or os.environ.get("ONYX_ADMIN_PASSWORD")
            or secrets.token_urlsafe(12)
        )
        User.objects.create_superuser(email=email, password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created admin {email} with password {password}\n"
                "Sign in at /login/ (admin site: /admin/) on the address below. "
                "Change the password on /account/."
            )
        )
