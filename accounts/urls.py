"""Sign-in security pages (mounted at /accounts/, beside the login and logout views)."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("two-factor/", views.mfa_verify, name="mfa_verify"),
    path("two-factor/setup/", views.mfa_setup, name="mfa_setup"),
    path("security/", views.security, name="security"),
    path("security/recovery-codes/", views.recovery_codes, name="mfa_recovery_codes"),
    path("security/two-factor/off/", views.mfa_turn_off, name="mfa_turn_off"),
    path("security/token/revoke/", views.token_revoke, name="token_revoke"),
]
