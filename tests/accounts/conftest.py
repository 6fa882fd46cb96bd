"""Signing in through the real form, and TOTP codes computed the way an authenticator app does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django_otp.oath import TOTP

# Frozen so that codes do not depend on when the test runs; tests move the clock past one 30 s step
# where a second code is needed (a code is accepted once).
MOMENT = dt.datetime(2026, 12, 2, 14, 0, tzinfo=dt.UTC)


def code_for(device) -> str:
    """The code the user's authenticator app shows now (RFC 6238, django-otp's own implementation)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in(client, username: str, password: str = "correct-horse-battery"):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(MOMENT, tick=False)
    return time_machine
