"""Ownership lives in the queryset: the one way views, APIs and consumers reach a user's rows."""

from typing import Any, Self, TypeVar

from django.db import models

_Model = TypeVar("_Model", bound=models.Model)


class OwnedQuerySet(models.QuerySet[_Model]):
    def for_user(self, user: Any) -> Self:
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)
