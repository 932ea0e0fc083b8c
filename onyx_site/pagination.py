"""Page sizes shared by the API's lists, read strictly: a `page` or `page_size` that is no whole
number in range is a 400 that says so, not quietly the default."""

from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request


def query_int(request: Request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """The query parameter `name` as a whole number from `minimum` to `maximum`, or `default`
    when it is absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(maximum)):
        value = int(raw)
        if minimum <= value <= maximum:
            return value
    raise ValidationError({name: [f"Give a whole number from {minimum} to {maximum}."]})


def int_parameter(name: str, description: str, *, minimum: int, maximum: int) -> dict[str, Any]:
    """The OpenAPI description of a query parameter read by query_int()."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "integer", "minimum": minimum, "maximum": maximum},
    }


class NumberedPage(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    # Past the last page DRF answers 404 "Invalid page."; a page number beyond this is no list.
    max_page = 10**9

    def get_page_size(self, request: Request) -> int:
        return query_int(
            request, "page_size", default=self.page_size, minimum=1, maximum=self.max_page_size
        )

    def get_page_number(self, request: Request, paginator: Any) -> int:
        return query_int(request, "page", default=1, minimum=1, maximum=self.max_page)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            int_parameter(
                "page",
                "A page number, from 1; past the last page is a 404.",
                minimum=1,
                maximum=self.max_page,
            ),
            int_parameter(
                "page_size",
                f"Results per page, at most {self.max_page_size}; {self.page_size} by default.",
                minimum=1,
                maximum=self.max_page_size,
            ),
        ]


class TotalInRowsPaginator(Paginator[dict[str, Any]]):
    """A paginator over rows that each carry `total_rows`, the size of the whole list (a window
    count): a page and the total in one query instead of two. The number is already checked."""

    def page(self, number: Any) -> Page[dict[str, Any]]:
        number = int(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if rows:
            total = rows[0]["total_rows"]
        elif number == 1:
            total = 0
        else:
            raise EmptyPage("That page contains no results")
        self.__dict__["count"] = total  # Paginator.count is a cached_property
        return Page(rows, number, self)


class TotalInRowsPage(NumberedPage):
    django_paginator_class = TotalInRowsPaginator
