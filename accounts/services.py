"""Changing a user's second factor and API token: the only place these rows are written."""

from __future__ import annotations

import datetime as dt

import django_otp
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from accounts.mfa import RECOVERY_DEVICE_NAME


def pending_authenticator(*, user) -> TOTPDevice:
    """The authenticator being set up (unconfirmed), created once so a reload shows the same QR code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def _normalized(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


@transaction.atomic
def confirm_authenticator(*, request, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the pending authenticator with a code from the app: marks the session verified and
    returns fresh recovery codes (shown once), or None when the code is wrong."""
    if not device.verify_token(_normalized(code)):
        return None
    TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    django_otp.login(request, device)
    return new_recovery_codes(user=device.user)


@transaction.atomic
def new_recovery_codes(*, user) -> list[str]:
    """Replace the user's recovery codes with new single-use ones."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.MFA_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def verify_second_factor(*, request, code: str) -> bool:
    """Check a code from the authenticator app, or a recovery code (used up); on success the session
    is verified. Each device throttles wrong codes (django-otp's growing delay)."""
    code = _normalized(code)
    user = request.user
    if code.isdigit():
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        devices = StaticDevice.objects.filter(user=user, confirmed=True)
    for device in devices:
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            django_otp.login(request, verified)
            return True
    return False


@transaction.atomic
def turn_off_second_factor(*, user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


# --- API tokens ------------------------------------------------------------------------------------


def token_expires_at(token: Token) -> dt.datetime:
    return token.created + dt.timedelta(days=settings.API_TOKEN_DAYS)


def is_token_expired(token: Token) -> bool:
    return timezone.now() >= token_expires_at(token)


@transaction.atomic
def issue_token(*, user) -> Token:
    """The user's API token; an expired one is replaced by a new key."""
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and is_token_expired(token):
        token.delete()
        token = None
    return token or Token.objects.create(user=user)


def revoke_token(*, user) -> bool:
    """Delete the user's API token; scripts using it get 401 from now on."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
