"""OPTIONS answers as every other method does: another user's object is not found (404).

DRF describes an endpoint to an OPTIONS request without looking up the objects its URL names, so
it would answer 200 for anyone's ids. Here the view looks them up first, through the same
owner-scoped lookup its other methods use: `find_url_objects()` if it has one, else
`get_object()` when the URL names only the object a generic view looks up. A view whose URL
names objects in any other way is not described at all (405), so a new one cannot leak.
"""

from typing import TYPE_CHECKING, Any

from rest_framework.exceptions import MethodNotAllowed
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request

if TYPE_CHECKING:  # rest_framework.views imports this module, through its settings
    from rest_framework.views import APIView

# A format suffix (`.json`) names no object.
_NAMES_NO_OBJECT = {"format"}


def look_up_url_objects(request: Request, view: "APIView") -> None:
    """Look up every object the URL names, as the user; NotFound (404) if one is not theirs."""
    named = set(view.kwargs) - _NAMES_NO_OBJECT
    if not named:
        return
    find = getattr(view, "find_url_objects", None)
    if find is not None:
        find()
        return
    get_object = getattr(view, "get_object", None)  # a GenericAPIView
    looked_up = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", None)
    if get_object is None or named != {looked_up}:
        raise MethodNotAllowed(request.method or "OPTIONS")
    get_object()


class OwnerScopedMetadata(SimpleMetadata):
    def determine_metadata(self, request: Request, view: "APIView") -> dict[str, Any]:
        look_up_url_objects(request, view)
        return dict(super().determine_metadata(request, view))
