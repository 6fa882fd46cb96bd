"""Who must use a second factor, and what a user has set up.

A second factor is a TOTP device (an authenticator app) confirmed with one code; recovery codes are a
django-otp static device created alongside it. Users whose role is in ``settings.MFA_REQUIRED_ROLES``
(center admins and superusers by default) must set one up before reaching any page; anyone who has
one must enter a code after the password. API tokens are not affected.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django.conf import settings
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from chairs.roles import roles_of

RECOVERY_DEVICE_NAME = "Recovery codes"


def is_second_factor_required(user) -> bool:
    required = set(settings.MFA_REQUIRED_ROLES)
    return ("superuser" in required and user.is_superuser) or bool(roles_of(user) & required)


def authenticator_of(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user) -> int:
    device = StaticDevice.objects.filter(user=user, confirmed=True, name=RECOVERY_DEVICE_NAME).first()
    return device.token_set.count() if device else 0


def is_verified(request) -> bool:
    """The session passed the second factor (django-otp's middleware sets ``is_verified``)."""
    is_verified_check = getattr(request.user, "is_verified", None)
    return bool(is_verified_check and is_verified_check())


def qr_code_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (drawn here: no external service)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg") :]


def secret_for_typing(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for apps that cannot scan."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
