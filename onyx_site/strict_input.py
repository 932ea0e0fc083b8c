"""JSON input taken as the schema types it: DRF's fields coerce (a number becomes a string,
"yes" becomes true, "5" becomes 5), so a body the OpenAPI schema calls invalid would be accepted.
A serializer with `StrictTypes` first refuses each value of the wrong JSON type, with a message."""

from typing import Any

from rest_framework import serializers

_WRONG_TYPE = {
    "string": "Give a string.",
    "boolean": "Give true or false.",
    "integer": "Give a whole number.",
    "number": "Give a number.",
    "array": "Give a list.",
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_type(field: serializers.Field[Any, Any, Any, Any]) -> str | None:
    """The JSON type a field's input must have, or None to leave it to the field."""
    if isinstance(field, serializers.BooleanField):
        return "boolean"
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        return "integer"
    if isinstance(field, serializers.FloatField):
        return "number"
    if isinstance(field, serializers.CharField):
        return "string"
    if isinstance(field, serializers.ChoiceField):
        kinds = {type(choice) for choice in field.choices}
        return "integer" if kinds == {int} else "string" if kinds == {str} else None
    if isinstance(field, serializers.ListField | serializers.ManyRelatedField):
        return "array"
    return None


def _has_type(value: Any, json_type: str) -> bool:
    match json_type:
        case "string":
            return isinstance(value, str)
        case "boolean":
            return isinstance(value, bool)
        case "integer":
            return _is_int(value)
        case "number":
            return _is_int(value) or isinstance(value, float)
        case _:
            return isinstance(value, list)


def _item_type(field: serializers.Field[Any, Any, Any, Any]) -> str | None:
    if isinstance(field, serializers.ManyRelatedField):
        return _json_type(field.child_relation)
    if isinstance(field, serializers.ListField):
        return _json_type(field.child)
    return None


# No docstring: drf-spectacular would show it as the description of every serializer below.
class StrictTypes(serializers.Serializer[Any]):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors = {
                name: [problem]
                for name, field in self.fields.items()
                if not field.read_only
                and name in data
                and (problem := _type_problem(field, data[name]))
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def _type_problem(field: serializers.Field[Any, Any, Any, Any], value: Any) -> str | None:
    if value is None:
        return None  # the field's own allow_null decides
    json_type = _json_type(field)
    if json_type is None:
        return None
    if not _has_type(value, json_type):
        return _WRONG_TYPE[json_type]
    item_type = _item_type(field)
    if item_type and any(not _has_type(item, item_type) for item in value):
        return f"Every item: {_WRONG_TYPE[item_type].lower()}"
    return None
