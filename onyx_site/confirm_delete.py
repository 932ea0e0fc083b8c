"""The page that asks before deleting, for a browser without JavaScript (with it, a dialog
asks on the page itself): templates/confirm_delete.html."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def confirm_delete_page(
    request: HttpRequest, *, what: str, name: str, consequence: str, action: str, cancel_url: str
) -> HttpResponse:
    """Asks to delete the `what` called `name`; confirming posts to `action` with
    confirmed=yes, Cancel leads back to `cancel_url`."""
    context = {
        "heading": f"Delete {what}",
        "name": name,
        "consequence": consequence,
        "action": action,
        "cancel_url": cancel_url,
    }
    return render(request, "confirm_delete.html", context)
