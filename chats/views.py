"""Server-rendered chat pages, thin: validate, call a service, render."""

from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from chats import branches, catalogue, selectors, services
from chats.forms import (
    BranchForm,
    ChatFilesForm,
    ChatFlagForm,
    ChatModelForm,
    ComposerForm,
    DetachFileForm,
    RenameForm,
)
from chats.models import ChatMessage, ChatSession
from chats.templatetags.chat_sidebar import (
    chat_groups_context,
    chats_to_list,
    render_chat_groups,
)
from files import selectors as file_selectors
from files.models import UserFile
from onyx_site import live_state
from onyx_site.confirm_delete import confirm_delete_page
from onyx_site.redirects import safe_next
from onyx_site.row_ids import parse_row_id
from onyx_site.time_zones import reader_time_zone

# The newest messages of the branch a chat page shows; the earlier ones come a page of as many
# at a time ("Show earlier messages"), so the page of a 10,000-message chat costs about what the
# page of a short one does (performance issue 11: each bubble costs about as much to render as
# a tenth of the rest of the page).
HISTORY_ON_PAGE = 20
# At most as many messages by id in one fragment: a tab catching up, or the path of a branch
# it switches to (services.BRANCH_EVENT_PATH).
IDS_PER_FRAGMENT = services.BRANCH_EVENT_PATH


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # LoginRequiredMiddleware guarantees it
    return request.user


def _owned_chat(request: HttpRequest, chat_id: int) -> ChatSession:
    return get_object_or_404(ChatSession.objects.for_user(_user(request)), pk=chat_id)


@require_http_methods(["GET"])
def chat_list_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    query = request.GET.get("q", "").strip()[:200]
    archived = request.GET.get("archived") == "1"
    context: dict[str, object] = {"query": query}
    if query:
        context["hits"] = selectors.search_chats(user, query)
    else:
        listed = chat_groups_context(
            user,
            zone=reader_time_zone(request),
            archived=archived,
            limit=chats_to_list(request, archived=archived),
        )
        context["archived"] = archived
        # The page's own list, and on the page of chats not archived its sidebar's too.
        context["chat_groups"] = render_chat_groups(
            listed, request=request, csrf_token=get_token(request)
        )
        if not archived:
            context["sidebar_html"] = context["chat_groups"]
    return render(request, "chats/list.html", context)


@require_http_methods(["GET"])
def chat_groups_fragment(request: HttpRequest) -> HttpResponse:
    """The sidebar's chat list alone, fetched again by the page when a chat changes or when
    more chats are asked for."""
    context = chat_groups_context(
        _user(request), zone=reader_time_zone(request), limit=chats_to_list(request)
    )
    return render(request, "chats/_chat_groups.html", context)


@require_POST
def new_chat_page(request: HttpRequest) -> HttpResponse:
    chat = services.create_chat(user=_user(request))
    return redirect("chat-detail", chat_id=chat.pk)


def _before(request: HttpRequest, chat: ChatSession) -> ChatMessage | None:
    """The message of `?before=<id>` (the page shows the messages above it), looked up among the
    user's messages of this chat: any other id is not found."""
    raw = request.GET.get("before")
    if raw is None:
        return None
    message_id = parse_row_id(raw)
    if message_id is None:
        raise Http404("No such message in this chat.")
    return _owned_message(request, chat, message_id)


def _history_context(
    user: User, chat: ChatSession, before: ChatMessage | None
) -> dict[str, object]:
    """A page of the branch shown (the newest messages, or those above `before`), oldest
    first and ready to render, with the message the next page ends above when there is one."""
    page = services.shown_branch_now(
        user=user,
        chat_id=chat.pk,
        read=lambda: branches.shown_branch(user, chat, limit=HISTORY_ON_PAGE, before=before),
    )
    return {
        "chat": chat,
        "history": selectors.ready_to_show(user, reversed(page.messages)),
        "earlier_before": page.messages[-1] if page.older else None,
        "showing_earlier": before is not None,
    }


def _attached_files(user: User, chat: ChatSession) -> list[UserFile]:
    return file_selectors.by_name(selectors.files_of_chat(user, chat))


def _files_chooser(user: User, attached: list[UserFile]) -> ChatFilesForm:
    form = ChatFilesForm(user=user)
    form.list_for_chooser(attached)
    return form


def _settings_form(chat: ChatSession, offered: list[catalogue.OfferedModel]) -> ChatModelForm:
    return ChatModelForm(
        offered=offered,
        initial={"model": chat.model, "system_prompt": chat.system_prompt},
    )


@dataclass(frozen=True)
class EditRefused:
    """An edit that was not sent: shown again under its message, with the reason."""

    message_id: int
    content: str
    error: str


def _detail_context(
    request: HttpRequest,
    chat: ChatSession,
    form: ComposerForm,
    edit_refused: EditRefused | None = None,
    before: ChatMessage | None = None,
) -> dict[str, object]:
    user = _user(request)
    # Read the seq before the messages: replaying from it can only repeat an event (the page
    # drops repeats), never miss one.
    last_seq = live_state.current_seq(user.pk)
    history = _history_context(user, chat, before)
    attached = _attached_files(user, chat)
    model_choice = catalogue.model_choice_of(chat)
    return {
        **history,
        "edit_refused": edit_refused,
        "form": form,
        "last_seq": last_seq,
        "model_choice": model_choice,
        "settings_form": _settings_form(chat, model_choice.offered),
        "attached_files": attached,
        "files_form": _files_chooser(user, attached),
    }


@require_http_methods(["GET"])
def chat_detail_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    """The chat, its newest messages; with `?before=<id>`, the messages above that one (the
    "Show earlier messages" link, without JavaScript)."""
    chat = _owned_chat(request, chat_id)
    before = _before(request, chat)
    context = _detail_context(request, chat, ComposerForm(), before=before)
    return render(request, "chats/detail.html", context)


@require_http_methods(["GET"])
def messages_fragment(request: HttpRequest, chat_id: int) -> HttpResponse:
    """Message bubbles as the page shows them (templates/chats/_message.html): the newest of
    the branch shown, or those above `?before=<id>` (scrolling up), each page with the "Show
    earlier messages" link above it when the branch goes on; or `?ids=3,4` only (any branch's),
    for a page catching up without reloading."""
    user = _user(request)
    chat = _owned_chat(request, chat_id)
    if "ids" in request.GET:
        parts = request.GET["ids"].split(",")[:IDS_PER_FRAGMENT]
        ids = [row_id for part in parts if (row_id := parse_row_id(part)) is not None]
        history = selectors.ready_to_show(
            user,
            ChatMessage.objects.for_user(user).filter(chat=chat, pk__in=ids).order_by("pk"),
        )
        return render(request, "chats/_messages.html", {"history": history})
    context = _history_context(user, chat, _before(request, chat))
    return render(request, "chats/_messages.html", context)


@require_http_methods(["GET"])
def attachments_fragment(request: HttpRequest, chat_id: int) -> HttpResponse:
    """The chips above the composer (the files the chat answers from) alone, fetched again by
    the page when they change in any tab."""
    user = _user(request)
    chat = _owned_chat(request, chat_id)
    attached = _attached_files(user, chat)
    context = {
        "chat": chat,
        "attached_files": attached,
        "files_form": _files_chooser(user, attached),
    }
    return render(request, "chats/_attachments.html", context)


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


def _owned_message(request: HttpRequest, chat: ChatSession, message_id: int) -> ChatMessage:
    return get_object_or_404(
        ChatMessage.objects.for_user(_user(request)).filter(chat=chat), pk=message_id
    )


def _to_message(chat: ChatSession, message_id: int) -> HttpResponse:
    return redirect(f"{reverse('chat-detail', args=[chat.pk])}#message-{message_id}")


@require_POST
def edit_message_page(request: HttpRequest, chat_id: int, message_id: int) -> HttpResponse:
    """Send an edited version of a message (a new branch), from the form under it."""
    chat = _owned_chat(request, chat_id)
    message = _owned_message(request, chat, message_id)
    form = ComposerForm(request.POST)
    content = request.POST.get("content", "")
    if not form.is_valid():
        error = " ".join(str(text) for text in form.errors.get("content", []))
        refused = EditRefused(message_id=message.pk, content=content, error=error)
        context = _detail_context(request, chat, ComposerForm(), refused)
        return render(request, "chats/detail.html", context, status=400)
    try:
        posted = services.edit_message(
            user=_user(request),
            chat=chat,
            message=message,
            content=form.cleaned_data["content"],
            client_id=form.cleaned_data["client_id"] or None,
        )
    except (services.InvalidMessage, services.SendRateExceeded) as error:
        refused = EditRefused(message_id=message.pk, content=content, error=str(error))
        status = 429 if isinstance(error, services.SendRateExceeded) else 400
        context = _detail_context(request, chat, ComposerForm(), refused)
        return render(request, "chats/detail.html", context, status=status)
    return _to_message(chat, posted.user_message.pk)


@require_POST
def regenerate_page(request: HttpRequest, chat_id: int, message_id: int) -> HttpResponse:
    chat = _owned_chat(request, chat_id)
    reply = get_object_or_404(
        ChatMessage.objects.for_user(_user(request)).filter(
            chat=chat, role=ChatMessage.Role.ASSISTANT
        ),
        pk=message_id,
    )
    try:
        new_reply = services.regenerate_reply(reply=reply)
    except (
        services.InvalidMessage,
        services.ChatBusy,
        services.TooManyReplies,
        services.SendRateExceeded,
    ) as error:
        messages.error(request, str(error))
        return _to_message(chat, reply.pk)
    return _to_message(chat, new_reply.pk)


@require_POST
def branch_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    """Show another version of a message (the "< 2/3 >" switcher without JavaScript)."""
    chat = _owned_chat(request, chat_id)
    form = BranchForm(request.POST)
    message = None
    if form.is_valid():
        message = (
            ChatMessage.objects.for_user(_user(request))
            .filter(chat=chat, pk=form.cleaned_data["message_id"])
            .first()
        )
    if message is None:
        messages.error(request, "That version of the message is not in this chat.")
        return redirect("chat-detail", chat_id=chat.pk)
    services.show_branch(user=_user(request), chat=chat, message=message)
    return _to_message(chat, message.pk)


@require_http_methods(["GET", "POST"])
def rename_chat_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    """The rename form on a page of its own (the sidebar's dialog without JavaScript)."""
    chat = _owned_chat(request, chat_id)
    if request.method == "GET":
        form = RenameForm(initial={"title": chat.title})
        return render(request, "chats/rename.html", {"chat": chat, "form": form})
    form = RenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A title can be at most 200 characters.")
    else:
        services.update_chat(chat=chat, title=form.cleaned_data["title"])
        messages.success(request, "Chat renamed.")
    if request.POST.get("return_to") == "detail":
        return redirect("chat-detail", chat_id=chat.pk)
    return redirect(safe_next(request, default="/chats/"))


@require_POST
def chat_flag_page(request: HttpRequest, chat_id: int, flag: str) -> HttpResponse:
    """Pin or archive a chat (`on` is "true" or "false"); the sidebar's menu without JS."""
    chat = _owned_chat(request, chat_id)
    form = ChatFlagForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say whether to turn it on or off.")
        return redirect(safe_next(request, default="/chats/"))
    on: bool = form.cleaned_data["on"]
    if flag == "pinned":
        services.update_chat(chat=chat, pinned=on)
        messages.success(request, "Chat pinned." if on else "Chat unpinned.")
    else:
        services.update_chat(chat=chat, archived=on)
        messages.success(request, "Chat archived." if on else "Chat restored from the archive.")
    return redirect(safe_next(request, default="/chats/"))


@require_http_methods(["GET", "POST"])
def delete_chat_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = _owned_chat(request, chat_id)
    if request.method == "POST":
        title = chat.display_title
        services.delete_chat(chat=chat)
        messages.success(request, f"Deleted “{title}”.")
        return redirect("chat-list")
    return confirm_delete_page(
        request,
        what="chat",
        name=chat.display_title,
        consequence="The chat and all its messages are deleted for good.",
        action=reverse("chat-delete", args=[chat.pk]),
        cancel_url=reverse("chat-detail", args=[chat.pk]),
    )


@require_POST
def chat_files_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    chat = _owned_chat(request, chat_id)
    if "detach" in request.POST:  # a chip's remove button: that file only
        detached = DetachFileForm(request.POST, user=_user(request))
        if not detached.is_valid():
            messages.error(request, "Choose among your own files.")
        else:
            file = detached.cleaned_data["detach"]
            services.detach_file(chat=chat, file=file)
            messages.success(
                request,
                f"This chat no longer answers from {file.name}."
                if selectors.files_of_chat(_user(request), chat).exists()
                else "This chat now answers from all your files.",
            )
        return redirect("chat-detail", chat_id=chat.pk)
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


@require_http_methods(["GET", "POST"])
def chat_model_page(request: HttpRequest, chat_id: int) -> HttpResponse:
    """A chat's model and system prompt on a page of their own (the header's picker and dialog
    without JavaScript). A form may post either field alone: the other is left as it is."""
    chat = _owned_chat(request, chat_id)
    offered = catalogue.offered_models()
    if request.method == "GET":
        context = {"chat": chat, "settings_form": _settings_form(chat, offered)}
        return render(request, "chats/settings.html", context)
    form = ChatModelForm(request.POST, offered=offered)
    if not form.is_valid():
        messages.error(
            request, " ".join(str(text) for field in form.errors.values() for text in field)
        )
    else:
        posted = {name: form.cleaned_data[name] for name in form.fields if name in request.POST}
        services.update_chat(chat=chat, **posted)
        messages.success(request, "Saved: the next reply in this chat uses it.")
    return redirect("chat-detail", chat_id=chat.pk)
