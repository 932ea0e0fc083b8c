from django.http import HttpRequest


def preferences(request: HttpRequest) -> dict[str, str]:
    """The signed-in user's theme and send key, applied to every page."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return {"ui_theme": user.theme, "ui_send_shortcut": user.send_shortcut}
    return {"ui_theme": "system", "ui_send_shortcut": "enter"}
