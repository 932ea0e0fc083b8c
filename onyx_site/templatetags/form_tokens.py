"""`{% csrf_token_if_any %}`: for templates that live events also render (onyx_site.events
.event_html), with no request and so no token. There the page adds its own token when the form
is posted (static/js/ui.js); Django's `{% csrf_token %}` would warn of a misconfiguration."""

from typing import Any

from django import template
from django.template.defaulttags import CsrfTokenNode

register = template.Library()


@register.simple_tag(takes_context=True)
def csrf_token_if_any(context: Any) -> str:
    if not context.get("csrf_token"):
        return ""
    return str(CsrfTokenNode().render(context))
