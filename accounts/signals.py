"""Keep the session registry in step with Django's own sign-in, sign-out and user changes."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import services, session_registry
from accounts.models import User


@receiver(user_logged_in)
def record_browser_login(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    # Every browser login, ours, the admin's or the browsable API's, gets a registry record.
    if request is not None and hasattr(request, "session") and isinstance(user, User):
        services.record_browser_session(request=request, user=user)


@receiver(user_logged_out)
def end_browser_session(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        sid = request.session.get(services.SESSION_ID_KEY)
        if sid:
            session_registry.end_session(sid)


@receiver(post_save, sender=User)
def end_sessions_of_deactivated_user(sender: Any, instance: User, **kwargs: Any) -> None:
    if not instance.is_active:
        session_registry.end_user_sessions(instance.pk, keep_sid=None)
