"""Ownership lives in the queryset: the one way views, APIs and consumers reach a user's rows."""

from collections.abc import Mapping
from functools import cache
from typing import Any, Self, TypeVar, cast

from django.db import connections, models

from onyx_site.postgresql.base import DatabaseWrapper

_Model = TypeVar("_Model", bound=models.Model)
OWNER_PARAMETER = "%(owner)s"


class OwnedQuerySet(models.QuerySet[_Model]):
    def for_user(self, user: Any) -> Self:
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)

    # Hand-written statements: the one way around the ORM. Each must be limited by
    # `%(owner)s`, which is always the user; a signed-out user gets nothing.

    def raw_for_user(
        self, user: Any, statement: str, parameters: Mapping[str, Any]
    ) -> list[_Model]:
        """Model instances of a hand-written statement over `user`'s rows."""
        owner = _owner_of(user, statement)
        if owner is None:
            return []
        return list(self.raw(statement, {**parameters, "owner": owner}))

    def one_for_user(self, user: Any, pk: int) -> _Model:
        """The user's row with primary key `pk`, or DoesNotExist (anyone else's, or none): the
        lookup a request about one object starts with, by a statement written once instead of
        an ORM query built anew on every request."""
        missing = self.model.DoesNotExist  # type: ignore[attr-defined]
        if not 0 < pk < 2**63:
            raise missing
        rows = self.raw_for_user(user, _row_by_pk(self.model), {"pk": pk})
        if not rows:
            raise missing
        return rows[0]

    def rows_for_user(
        self, user: Any, statement: str, parameters: Mapping[str, Any], *, binary: bool = False
    ) -> list[tuple[Any, ...]]:
        """The rows of a hand-written statement over `user`'s rows, as tuples: no model
        instances, so a page of a list reads several times faster. The statement is prepared,
        and planned once per connection (onyx_site/postgresql/base.py); `binary` reads its
        rows in PostgreSQL's binary format (for `bytea` columns)."""
        owner = _owner_of(user, statement)
        if owner is None:
            return []
        connection = cast(DatabaseWrapper, connections[self.db])
        with connection.prepared_cursor(binary=binary) as cursor:
            cursor.execute(statement, {**parameters, "owner": owner})
            return cursor.fetchall()


@cache
def _row_by_pk(model: type[models.Model]) -> str:
    """The statement one_for_user() runs for `model`, built once per model."""
    meta = model._meta
    return (
        f"SELECT {columns_of(model)} FROM {meta.db_table} "  # noqa: S608  (names from the model, values as parameters)
        f"WHERE {meta.pk.column} = %(pk)s AND owner_id = {OWNER_PARAMETER}"
    )


def _owner_of(user: Any, statement: str) -> Any:
    if OWNER_PARAMETER not in statement:
        raise ValueError("A statement over owned rows must be limited by %(owner)s.")
    if user is None or not user.is_authenticated:
        return None
    return user.pk


def columns_of(model: type[models.Model], table: str = "") -> str:
    """The model's columns, named one by one rather than `*`: a statement reads what the model
    has, whatever a migration added to the table under a running process."""
    prefix = f"{table}." if table else ""
    return ", ".join(f"{prefix}{field.column}" for field in model._meta.concrete_fields)
