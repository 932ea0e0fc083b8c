"""Page sizes shared by the API's lists, read strictly: a `page` or `page_size` that is no whole
number in range is a 400 that says so, not quietly the default."""

from collections.abc import Callable
from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from onyx_site.row_ids import parse_whole_number


def query_int(request: Request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """The query parameter `name` as a whole number from `minimum` to `maximum`, or `default`
    when it is absent."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = parse_whole_number(raw, max_digits=len(str(maximum)))
    if value is not None and minimum <= value <= maximum:
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


class TotalInRowsPaginator(Paginator[Any]):
    """A paginator over a function that reads one page and the size of the whole list together
    (`read(offset, limit) -> (rows, total)`, total None past the end): one query instead of a
    count and a page. The page number is already checked (query_int)."""

    def page(self, number: Any) -> Page[Any]:
        number = int(number)
        read: Callable[[int, int], tuple[list[Any], int | None]] = self.object_list  # type: ignore[assignment]
        rows, total = read((number - 1) * self.per_page, self.per_page)
        if total is None:
            raise EmptyPage("That page contains no results")
        self.__dict__["count"] = total  # Paginator.count is a cached_property
        return Page(rows, number, self)


class TotalInRowsPage(NumberedPage):
    """NumberedPage for a list given as such a function instead of a queryset."""

    django_paginator_class = TotalInRowsPaginator
