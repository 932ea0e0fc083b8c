"""Page sizes shared by the API's lists."""

from rest_framework.pagination import PageNumberPagination


class NumberedPage(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
