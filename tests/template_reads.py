"""Recording what a template reads: which attributes of an object, which names of its context.
A fragment kept and rendered without the page's context may read only what its key holds."""

from typing import Any

from django.template import Context


class Reads:
    """An object that notes which of its attributes are read."""

    def __init__(self, wrapped: Any, read: set[str]) -> None:
        self._wrapped = wrapped
        self._read = read

    def __getattr__(self, name: str) -> Any:
        self._read.add(name)
        return getattr(self._wrapped, name)


class NamesRead(Context):
    """A template context that notes every name looked up in it."""

    def __init__(self, values: dict[str, Any], read: set[str]) -> None:
        super().__init__(values)
        self.names_read = read

    def __getitem__(self, key: Any) -> Any:
        self.names_read.add(key)
        return super().__getitem__(key)

    def get(self, key: Any, otherwise: Any = None) -> Any:
        self.names_read.add(key)
        return super().get(key, otherwise)

    def __contains__(self, key: Any) -> bool:
        self.names_read.add(key)
        return super().__contains__(key)

    def flatten(self) -> dict[Any, Any]:
        self.names_read.add("* every name (flatten)")
        return super().flatten()

    def __getattr__(self, name: str) -> Any:
        # Only for attributes a Context lacks, as {% url %} asks for `context.request`.
        if not name.startswith("__"):
            self.names_read.add(f".{name}")
        raise AttributeError(name)
