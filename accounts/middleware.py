"""Sessions must pass the second factor before reaching any page.

After the password, a user who has an authenticator is sent to enter a code; a user whose role
requires one (``MFA_REQUIRED_ROLES``) and has none is sent to set it up. Until then every page
redirects there, and session calls to the API are refused with 403. Token-authenticated API calls
never carry a session user here and are not affected.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.mfa import has_second_factor, is_second_factor_required, is_verified

# Pages a signed-in but not yet verified user may reach.
OPEN_URL_NAMES = {"login", "logout", "mfa_verify", "mfa_setup"}


def second_factor_step(user) -> str | None:
    """The URL name of the page the user must pass first, or None."""
    if has_second_factor(user):
        return "mfa_verify"
    if is_second_factor_required(user):
        return "mfa_setup"
    return None


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or is_verified(request):
            return None
        is_api = request.path_info.startswith(("/api/", "/fhir/"))  # DRF marks its views login_not_required
        if not is_api and not getattr(view_func, "login_required", True):  # health, patients' links
            return None
        match = request.resolver_match
        if match is not None and match.url_name in OPEN_URL_NAMES:
            return None
        step = second_factor_step(user)
        if step is None:
            return None
        if is_api:
            return JsonResponse(
                {
                    "code": "second_factor_required",
                    "detail": "Enter the code from your authenticator app in the browser first "
                    "(or call the API with a token).",
                },
                status=403,
            )
        return redirect(f"{reverse(step)}?{urlencode({'next': request.get_full_path()})}")
