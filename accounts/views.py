"""Server-rendered account pages: sign in/up/out, password, preferences, active sessions."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services, session_registry
from accounts.forms import LoginForm, PreferencesForm, SignupForm
from accounts.login_throttle import LOCKOUT_MESSAGE
from accounts.middleware import SIGNED_IN_COOKIE
from accounts.models import User
from accounts.request_info import current_session_id
from onyx_site.redirects import safe_next


def _safe_next(request: HttpRequest) -> str:
    return safe_next(request, default=settings.LOGIN_REDIRECT_URL)


def _signed_in_user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # LoginRequiredMiddleware guarantees it
    return user


@login_not_required
@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_in_browser(
                request=request,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
            )
        except services.LoginLockedOut:
            form.add_error(None, LOCKOUT_MESSAGE)
            status = 429
        except services.InvalidCredentials:
            form.add_error(None, "That email and password do not match an account.")
            status = 400
        else:
            return redirect(_safe_next(request))
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "next": _safe_next(request),
        "allow_signup": settings.ONYX_ALLOW_SIGNUP,
    }
    return render(request, "accounts/login.html", context, status=status)


@login_not_required
@require_http_methods(["GET", "POST"])
def signup_page(request: HttpRequest) -> HttpResponse:
    if not settings.ONYX_ALLOW_SIGNUP:
        raise Http404("Sign-up is switched off on this server.")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.sign_up(
            request=request,
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
        )
        messages.success(request, "Welcome! Your account is ready.")
        return redirect(settings.LOGIN_REDIRECT_URL)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/signup.html", {"form": form}, status=status)


@login_not_required
@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    services.sign_out(request=request, sid=current_session_id(request))
    messages.info(request, "You are signed out.")
    response = redirect(settings.LOGOUT_REDIRECT_URL)
    response.delete_cookie(SIGNED_IN_COOKIE, samesite="Lax")
    return response


def _account_context(
    request: HttpRequest,
    *,
    password_form: PasswordChangeForm | None = None,
    preferences_form: PreferencesForm | None = None,
) -> dict[str, object]:
    user = _signed_in_user(request)
    password_form = password_form or PasswordChangeForm(user)
    # Django focuses the old password field, which scrolls the page past the preferences.
    password_form.fields["old_password"].widget.attrs.pop("autofocus", None)
    return {
        "password_form": password_form,
        "preferences_form": preferences_form or PreferencesForm(instance=user),
    }


@require_http_methods(["GET"])
def account_page(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/account.html", _account_context(request))


@require_POST
def change_password_page(request: HttpRequest) -> HttpResponse:
    user = _signed_in_user(request)
    form = PasswordChangeForm(user, request.POST)
    if not form.is_valid():
        context = _account_context(request, password_form=form)
        return render(request, "accounts/account.html", context, status=400)
    ended = services.change_password(
        request=request,
        user=user,
        new_password=form.cleaned_data["new_password1"],
        current_sid=current_session_id(request),
    )
    messages.success(request, f"Password changed. {ended} other session(s) were signed out.")
    return redirect("account")


@require_POST
def preferences_page(request: HttpRequest) -> HttpResponse:
    user = _signed_in_user(request)
    form = PreferencesForm(request.POST, instance=user)
    if not form.is_valid():
        context = _account_context(request, preferences_form=form)
        return render(request, "accounts/account.html", context, status=400)
    services.update_preferences(
        user=user,
        theme=form.cleaned_data["theme"],
        send_shortcut=form.cleaned_data["send_shortcut"],
    )
    messages.success(request, "Preferences saved. They apply on every device you use.")
    return redirect("account")


@require_http_methods(["GET"])
def sessions_page(request: HttpRequest) -> HttpResponse:
    user = _signed_in_user(request)
    context = {
        "sessions": session_registry.list_sessions(user.pk),
        "current_sid": current_session_id(request),
    }
    return render(request, "accounts/sessions.html", context)


@require_POST
def revoke_session_page(request: HttpRequest, sid: str) -> HttpResponse:
    user = _signed_in_user(request)
    try:
        services.revoke_session(user=user, sid=sid)
    except services.SessionNotFound as exc:
        raise Http404("No such session.") from exc
    if sid == current_session_id(request):
        return redirect(settings.LOGIN_URL)
    messages.success(request, "That session is signed out.")
    return redirect("account-sessions")


@require_POST
def revoke_other_sessions_page(request: HttpRequest) -> HttpResponse:
    user = _signed_in_user(request)
    ended = services.revoke_other_sessions(user=user, current_sid=current_session_id(request))
    messages.success(request, f"{ended} other session(s) signed out.")
    return redirect("account-sessions")
