"""Server-rendered chat pages, thin: validate, call a service, render."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from chats import selectors, services
from chats.forms import ChatFilesForm, ComposerForm, RenameForm
from chats.models import ChatMessage, ChatSession
from onyx_site import live_state

HISTORY_ON_PAGE = 200


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # LoginRequiredMiddleware guarantees it
    return request.user


def _owned_chat(request: HttpRequest, chat_id: int) -> ChatSession:
    return get_object_or_404(ChatSession.objects.for_user(_user(request)), pk=chat_id)


@require_http_methods(["GET"])
def chat_list_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    query = request.GET.get("q", "").strip()[:200]
    context: dict[str, object] = {"query": query}
    if query:
        context["hits"] = selectors.search_chats(user, query)
    else:
        context["chats"] = selectors.chats_for(user)[:500]
    return render(request, "chats/list.html", context)


@require_POST
def new_chat_page(request: HttpRequest) -> HttpResponse:
    chat = services.create_chat(user=_user(request))
    return redirect("chat-detail", chat_id=chat.pk)


def _detail_context(
    request: HttpRequest, chat: ChatSession, form: ComposerForm
) -> dict[str, object]:
    user = _user(request)
    # Read the seq before the messages: replaying from it can only repeat an event (the page
    # drops repeats), never miss one.
    last_seq = live_state.current_seq(user.pk)
    history = selectors.with_text_so_far(
        ChatMessage.objects.for_user(user)
        .current()
        .filter(chat=chat)
        .order_by("-pk")[:HISTORY_ON_PAGE]
    )[::-1]
    return {
        "chat": chat,
        "history": history,
        "form": form,
        "last_seq": last_seq,
        "chats": selectors.chats_for(user)[:50],
        "files_form": ChatFilesForm(
            user=user, initial={"use_files": list(selectors.files_of_chat(user, chat))}
        ),
    }


@require_http_methods(["GET"])
def chat_detail_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = _owned_chat(request, chat_id)
    services.recover_stalled_replies(user=_user(request), chat=chat)
    return render(request, "chats/detail.html", _detail_context(request, chat, ComposerForm()))


@require_POST
def send_message_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    """The composer without JavaScript; with it, the page posts to the API instead."""
    chat = _owned_chat(request, chat_id)
    form = ComposerForm(request.POST)
    if form.is_valid():
        try:
            services.post_message(
                user=_user(request),
                chat=chat,
                content=form.cleaned_data["content"],
                client_id=form.cleaned_data["client_id"] or None,
            )
        except services.InvalidMessage as error:
            form.add_error("content", str(error))
        except (services.SendRateExceeded, services.TooManyReplies, services.ChatBusy) as error:
            form.add_error("content", str(error))
            refused = 409 if isinstance(error, services.ChatBusy) else 429
            context = _detail_context(request, chat, form)
            return render(request, "chats/detail.html", context, status=refused)
        else:
            return redirect("chat-detail", chat_id=chat.pk)
    return render(request, "chats/detail.html", _detail_context(request, chat, form), status=400)


@require_POST
def rename_chat_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = _owned_chat(request, chat_id)
    form = RenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A title can be at most 200 characters.")
    else:
        services.update_chat(chat=chat, title=form.cleaned_data["title"])
        messages.success(request, "Chat renamed.")
    if request.POST.get("return_to") == "detail":
        return redirect("chat-detail", chat_id=chat.pk)
    return redirect("chat-list")


@require_http_methods(["GET", "POST"])
def delete_chat_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = _owned_chat(request, chat_id)
    if request.method == "POST":
        title = chat.display_title
        services.delete_chat(chat=chat)
        messages.success(request, f"Deleted “{title}”.")
        return redirect("chat-list")
    return render(request, "chats/confirm_delete.html", {"chat": chat})


@require_POST
def chat_files_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = _owned_chat(request, chat_id)
    form = ChatFilesForm(request.POST, user=_user(request))
    if not form.is_valid():
        messages.error(request, "Choose among your own files.")
    else:
        chosen = list(form.cleaned_data["use_files"])
        services.update_chat(chat=chat, files=chosen)
        messages.success(
            request,
            f"This chat now answers from {len(chosen)} file(s)."
            if chosen
            else "This chat now answers from all your files.",
        )
    return redirect("chat-detail", chat_id=chat.pk)
