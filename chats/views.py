"""Server-rendered chat pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods


@require_http_methods(["GET"])
def chat_list_page(request: HttpRequest) -> HttpResponse:
    return render(request, "chats/list.html")
