"""Sign-in security pages: the second-factor step after the password, setting up an authenticator,
recovery codes, and the user's API token."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.forms import AuthenticatorCodeForm, CodeForm
from accounts.mfa import (
    authenticator_of,
    has_second_factor,
    is_second_factor_required,
    is_verified,
    qr_code_svg,
    recovery_codes_left,
    secret_for_typing,
)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return settings.LOGIN_REDIRECT_URL


@require_http_methods(["GET", "POST"])
def mfa_verify(request):
    """The second step of signing in: a code from the authenticator app or a recovery code."""
    if not has_second_factor(request.user):
        return redirect("mfa_setup" if is_second_factor_required(request.user) else _next_url(request))
    if is_verified(request):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.verify_second_factor(request=request, code=form.cleaned_data["code"]):
            return redirect(_next_url(request))
        form.add_error("code", "That code is not valid (or was used already). Wait for the next code and try again.")
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next_url(request)}, status=200)


@require_http_methods(["GET", "POST"])
def mfa_setup(request):
    """Scan a QR code with an authenticator app and confirm with one code; recovery codes follow."""
    if has_second_factor(request.user) and not is_verified(request):
        # Replacing the authenticator needs the current one first.
        return redirect("mfa_verify")
    device = services.pending_authenticator(user=request.user)
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.confirm_authenticator(request=request, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            messages.success(request, "Two-step sign-in is on.")
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next_url(request)})
        form.add_error("code", "That code does not match. Check the phone's clock and enter the newest code.")
    context = {
        "form": form,
        "qr_svg": qr_code_svg(device),
        "secret": secret_for_typing(device),
        "is_required": is_second_factor_required(request.user),
        "is_replacing": has_second_factor(request.user),
        "next": _next_url(request),
    }
    return render(request, "accounts/mfa_setup.html", context)


@require_http_methods(["GET"])
def security(request):
    """The user's two-step sign-in and API token."""
    token = Token.objects.filter(user=request.user).first()
    context = {
        "authenticator": authenticator_of(request.user),
        "is_required": is_second_factor_required(request.user),
        "recovery_codes_left": recovery_codes_left(request.user),
        "token": token,
        "token_expires_at": services.token_expires_at(token) if token else None,
        "token_is_expired": services.is_token_expired(token) if token else False,
        "token_days": settings.API_TOKEN_DAYS,
        "turn_off_form": CodeForm(),
    }
    return render(request, "accounts/security.html", context)


@require_POST
def recovery_codes(request):
    if not has_second_factor(request.user):
        return redirect("security")
    codes = services.new_recovery_codes(user=request.user)
    messages.success(request, "New recovery codes; the old ones no longer work.")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": settings.LOGIN_REDIRECT_URL})


@require_POST
def mfa_turn_off(request):
    if is_second_factor_required(request.user):
        messages.error(request, "Your role requires two-step sign-in; it cannot be turned off.")
        return redirect("security")
    form = CodeForm(request.POST)
    if form.is_valid() and services.verify_second_factor(request=request, code=form.cleaned_data["code"]):
        services.turn_off_second_factor(user=request.user)
        messages.success(request, "Two-step sign-in is off.")
    else:
        messages.error(request, "That code is not valid; two-step sign-in stays on.")
    return redirect("security")


@require_POST
def token_revoke(request):
    if services.revoke_token(user=request.user):
        messages.success(request, "Your API token is revoked; scripts using it are refused from now on.")
    return redirect("security")
