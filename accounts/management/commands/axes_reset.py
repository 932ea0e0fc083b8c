"""`manage.py axes_reset` that works with axes' cache handler (axes' own raises
NotImplementedError there): forgets every sign-in failure count and lockout."""

from typing import Any

from django.core.management.base import BaseCommand

from accounts.login_throttle import reset_all_lockouts


class Command(BaseCommand):
    help = "Reset all sign-in failure counts and lockouts (per email and per IP address)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = reset_all_lockouts()
        self.stdout.write(f"{count} attempts removed." if count else "No attempts found.")
