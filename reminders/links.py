"""Signed, expiring links that act on one appointment (or one waitlist offer) without logging in.

A link carries the appointment and one action; it cannot be turned into the
other action, and it stops working when the appointment starts or after
``REMINDER_LINK_MAX_AGE`` (whichever comes first). ``take_offer`` links carry a
waitlist offer's id instead (the offer's own expiry is checked by its page).

:func:`short_token` is the same idea short enough for a text message: the appointment id and a
truncated HMAC of (id, action, the appointment's start), so it also stops working once the
appointment is moved — a reschedule link is used once.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "reminders.appointment-action"
ACTIONS = ("confirm", "cancel", "take_offer")
SHORT_ACTIONS = ("reschedule",)
SHORT_SIGNATURE_CHARS = 12
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


def _short_signature(appointment_id: int, action: str, start: dt.datetime) -> str:
    value = f"{appointment_id}:{action}:{int(start.timestamp())}"
    return salted_hmac(SALT + ".short", value, algorithm="sha256").hexdigest()[:SHORT_SIGNATURE_CHARS]


def short_token(appointment, action: str) -> str:
    """``<id>-<signature>``, bound to the action and to the appointment's current start."""
    if action not in SHORT_ACTIONS:
        raise ValueError(action)
    return f"{appointment.pk}-{_short_signature(appointment.pk, action, appointment.start)}"


def read_short_token(token: str, *, action: str, load):
    """The appointment ``load(id)`` returns, if the token was made for it, this action and its current start."""
    appointment_id, _, signature = token.partition("-")
    if action not in SHORT_ACTIONS or not appointment_id.isdigit() or len(appointment_id) > 12:
        raise LinkInvalid("This link is not valid.")
    appointment = load(int(appointment_id))
    if appointment is None or not constant_time_compare(
        signature, _short_signature(appointment.pk, action, appointment.start)
    ):
        raise LinkInvalid("This link is not valid any more: the appointment was changed.")
    return appointment


_TOKEN_PLACEHOLDER = "0-token"
_short_patterns: dict[str, str] = {}


def short_url(appointment, action: str) -> str:
    # The path is reversed once: a batch of texts would otherwise reverse it for each.
    pattern = _short_patterns.get(action)
    if pattern is None:
        path = reverse("waitlist:reschedule_link", kwargs={"token": _TOKEN_PLACEHOLDER})
        pattern = _short_patterns[action] = path.replace(_TOKEN_PLACEHOLDER, "{token}")
    return settings.PUBLIC_BASE_URL.rstrip("/") + pattern.format(token=short_token(appointment, action))
