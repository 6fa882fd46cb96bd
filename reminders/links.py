"""Signed, expiring links that confirm or cancel one appointment without logging in.

A link carries the appointment and one action; it cannot be turned into the
other action, and it stops working when the appointment starts or after
``REMINDER_LINK_MAX_AGE`` (whichever comes first).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "reminders.appointment-action"
ACTIONS = ("confirm", "cancel")
MAX_AGE = dt.timedelta(days=21)


class LinkInvalid(Exception):
    """The link was tampered with, has expired, or is for another action."""


def make_token(appointment_id: int, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(action)
    return signing.dumps({"a": appointment_id, "do": action}, salt=SALT, compress=True)


def read_token(token: str, *, action: str) -> int:
    """The appointment id the token was made for, if it is genuine, fresh and for ``action``."""
    max_age = getattr(settings, "REMINDER_LINK_MAX_AGE", MAX_AGE)
    try:
        payload = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired as error:
        raise LinkInvalid("This link has expired.") from error
    except signing.BadSignature as error:
        raise LinkInvalid("This link is not valid.") from error
    if not isinstance(payload, dict) or payload.get("do") != action or not isinstance(payload.get("a"), int):
        raise LinkInvalid("This link is not valid.")
    return payload["a"]


def action_url(appointment, action: str) -> str:
    path = reverse(f"reminders:{action}_link", kwargs={"token": make_token(appointment.pk, action)})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path
