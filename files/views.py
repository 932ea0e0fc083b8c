"""Server-rendered file pages: list and upload, detail with the extracted text, download."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from chats import services as chat_services
from chats.models import ChatSession
from files import services
from files.detection import ACCEPTED_DESCRIPTION
from files.downloads import download_response
from files.models import FileChunk, UserFile
from files.uploads import UploadTooLarge, check_limit, install_limit
from onyx_site.confirm_delete import confirm_delete_page
from onyx_site.row_ids import parse_row_id, parse_whole_number


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # LoginRequiredMiddleware guarantees it
    return request.user


def _owned_file(request: HttpRequest, file_id: int) -> UserFile:
    return get_object_or_404(UserFile.objects.for_user(_user(request)), pk=file_id)


# Files shown per page of the list, newest first: a page costs the same for a user with 3,000
# files (all of them on one page took half a second to render) as for one with 30.
FILES_PER_PAGE = 50


def _list_context(request: HttpRequest, refusals: list[tuple[str, str]]) -> dict[str, object]:
    user = _user(request)
    files = UserFile.objects.for_user(user).order_by("-created_at", "-pk")
    # Anything but a page number shows the first page; get_page() shows the last for one past it.
    asked = parse_whole_number(request.GET.get("page", ""), max_digits=9) or 1
    page = Paginator(files, FILES_PER_PAGE).get_page(asked)
    return {
        "files": page.object_list,
        "page": page,
        "accepted": ACCEPTED_DESCRIPTION,
        "refusals": refusals,
    }


@require_http_methods(["GET"])
def file_list_page(request: HttpRequest) -> HttpResponse:
    return render(request, "files/list.html", _list_context(request, []))


@csrf_exempt  # the CSRF check reads the body, so it runs after the size limit is in place
@require_POST
def upload_page(request: HttpRequest) -> HttpResponse:
    install_limit(request, services.upload_allowance_for_request)
    return _checked_upload_page(request)


def _chat_to_attach_to(request: HttpRequest) -> ChatSession | None:
    """The chat an upload from a chat page attaches its files to (its `chat_id` field)."""
    raw = request.POST.get("chat_id", "")
    if not raw:
        return None
    chat_id = parse_row_id(raw)
    if chat_id is None:
        raise Http404
    return get_object_or_404(ChatSession.objects.for_user(_user(request)), pk=chat_id)


@csrf_protect
def _checked_upload_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    refusals: list[tuple[str, str]] = []
    try:
        uploads = request.FILES.getlist("file")
        check_limit(request)
    except UploadTooLarge as error:
        refusals.append(("Upload", error.message))
        uploads = []
    chat = _chat_to_attach_to(request)
    for uploaded in uploads:
        try:
            result = services.store_upload(user=user, uploaded=uploaded)
        except services.UnsupportedFileType as error:
            refusals.append((uploaded.name or "file", str(error)))
        else:
            note = "was already uploaded" if result.duplicate else "is uploaded and being read"
            if chat is not None:
                chat_services.attach_file(chat=chat, file=result.file)
                note += ", and this chat answers from it"
            messages.success(request, f"“{result.file.name}” {note}.")
    if not uploads and not refusals:
        refusals.append(("Upload", "Choose one or more files first."))
    if refusals:
        return render(request, "files/list.html", _list_context(request, refusals), status=400)
    if chat is not None:
        return redirect("chat-detail", chat_id=chat.pk)
    return redirect("file-list")


def _cited_passage(request: HttpRequest) -> int | None:
    """The passage a citation points to (?passage=<chunk index>); anything else: none."""
    raw = request.GET.get("passage", "")
    return parse_whole_number(raw, max_digits=9)


@require_http_methods(["GET"])
def file_detail_page(request: HttpRequest, file_id: int) -> HttpResponse:
    file = _owned_file(request, file_id)
    chunks = FileChunk.objects.for_user(_user(request)).filter(file=file).order_by("index")
    context = {"file": file, "chunks": chunks, "cited": _cited_passage(request)}
    return render(request, "files/detail.html", context)


@require_http_methods(["GET"])
def download_page(request: HttpRequest, file_id: int) -> FileResponse:
    return download_response(request, _owned_file(request, file_id))


@require_POST
def delete_page(request: HttpRequest, file_id: int) -> HttpResponse:
    """Deletes once confirmed: the page's dialog confirms it in the form, and without
    JavaScript a page asks first."""
    file = _owned_file(request, file_id)
    if request.POST.get("confirmed") != "yes":
        return confirm_delete_page(
            request,
            what="file",
            name=file.name,
            consequence="The file and its text are deleted for good. Chats stop using it.",
            action=reverse("file-delete", args=[file.pk]),
            cancel_url=reverse("file-detail", args=[file.pk]),
        )
    name = file.name
    services.delete_file(file=file)
    messages.success(request, f"Deleted “{name}”.")
    return redirect("file-list")


@require_POST
def retry_page(request: HttpRequest, file_id: int) -> HttpResponse:
    try:
        services.retry_file(file=_owned_file(request, file_id))
    except services.FileNotRetryable as error:
        messages.error(request, str(error))
    return redirect("file-detail", file_id=file_id)
