"""Keep the session registry in step with Django's own sign-in, sign-out and user changes."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from accounts import services, session_registry, user_cache
from accounts.models import User
from accounts.request_info import request_session

_PASSWORD_CHANGED = "_onyx_password_changed"


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
            session_registry.end_session(sid, reason="signed_out")


@receiver(post_save, sender=User)
@receiver(post_delete, sender=User)
def forget_cached_user(sender: Any, instance: User, **kwargs: Any) -> None:
    user_cache.forget(instance.pk)


@receiver(post_save, sender=User)
def end_sessions_of_deactivated_user(sender: Any, instance: User, **kwargs: Any) -> None:
    if not instance.is_active:
        session_registry.end_user_sessions(instance.pk, keep_sid=None, reason="deactivated")


# Any password change, by anyone and any way (the account page, the admin's form, `manage.py
# changepassword`, set_password() + save()), ends the user's sessions: compared on the stored
# hash, so no caller can forget it. Sessions end at once, not on commit: ending them for a change
# that is then rolled back only signs someone out, while missing one would leave a thief in.
@receiver(pre_save, sender=User)
def notice_password_change(
    sender: Any,
    instance: User,
    raw: bool = False,
    update_fields: frozenset[str] | None = None,
    **kwargs: Any,
) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and "password" not in update_fields:
        return
    stored = User.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    setattr(instance, _PASSWORD_CHANGED, stored is not None and stored != instance.password)


@receiver(post_save, sender=User)
def end_sessions_after_password_change(sender: Any, instance: User, **kwargs: Any) -> None:
    if not getattr(instance, _PASSWORD_CHANGED, False):
        return
    setattr(instance, _PASSWORD_CHANGED, False)
    # The session making the change, when it is the user's own, stays signed in.
    current = request_session.get()
    keep = current.sid if current is not None and current.user_id == instance.pk else None
    session_registry.end_user_sessions(instance.pk, keep_sid=keep, reason="password_changed")
