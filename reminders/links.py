"""Signed, expiring links that act on one appointment (or one waitlist offer) without logging in.

A link carries the appointment and one action; it cannot be turned into the
other action, and it stops working when the appointment starts or after
``REMINDER_LINK_MAX_AGE`` (whichever comes first). ``take_offer`` links carry a
waitlist offer's id instead (the offer's own expiry is checked by its page).

:func:`short_token` is the same idea short enough for a text message: the appointment id and a
truncated HMAC of (id, action, the appointment's start), so it also stops working once the
appointment is moved — a reschedule link is used once. The reminder's email carries it.

:func:`sms_link` is what a text message carries instead: ``/r/<code>``, a random code stored in
:class:`reminders.models.ShortLink` for one purpose on one appointment (or offer), bound to its start,
expiring, spent once used. Short enough that every text fits in 160 characters with it
(``SHORT_LINK_BASE_URL``, default ``PUBLIC_BASE_URL``, is the host the code is served from).
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
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


def short_url(appointment, action: str) -> str:
    """The email's signed link (texts carry :func:`sms_link`'s shorter one)."""
    path = reverse("waitlist:reschedule_link", kwargs={"token": short_token(appointment, action)})
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


# --- Short random codes for text messages (/r/<code>) ----------------------------------------------

SHORT_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i: read aloud or retyped safely
SHORT_CODE_CHARS = 10  # 31**10 ≈ 2**49.5


def short_link_base() -> str:
    return (getattr(settings, "SHORT_LINK_BASE_URL", "") or settings.PUBLIC_BASE_URL).rstrip("/")


def sms_link(*, purpose: str, object_id: int, start: dt.datetime, expires_at: dt.datetime) -> str:
    """``<base>/r/<code>`` for this purpose on this object at this start (the live code is reused)."""
    from reminders.models import ShortLink

    now = timezone.now()
    link = (
        ShortLink.objects.filter(
            purpose=purpose, object_id=object_id, bound_start=start, used_at__isnull=True, expires_at__gt=now
        )
        .order_by("-expires_at")
        .first()
    )
    if link is None or link.expires_at < expires_at:
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_CHARS))
        link = ShortLink.objects.create(
            code=code, purpose=purpose, object_id=object_id, bound_start=start, expires_at=expires_at
        )
    return f"{short_link_base()}/r/{link.code}"


def reschedule_sms_link(appointment) -> str:
    """The reminder text's link to choose another time: until the appointment starts, at most ``MAX_AGE``."""
    max_age = getattr(settings, "REMINDER_LINK_MAX_AGE", MAX_AGE)
    expires_at = min(appointment.start, timezone.now() + max_age)
    return sms_link(purpose="reschedule", object_id=appointment.pk, start=appointment.start, expires_at=expires_at)


def read_sms_code(code: str, *, now: dt.datetime | None = None):
    """The live :class:`ShortLink` for ``code``, or LinkInvalid (unknown, expired or spent)."""
    from reminders.models import ShortLink

    now = now or timezone.now()
    code = code.strip().lower()
    if not (0 < len(code) <= 16) or any(c not in SHORT_CODE_ALPHABET for c in code):
        raise LinkInvalid("This link is not valid.")
    link = ShortLink.objects.filter(code=code).first()
    if link is None:
        raise LinkInvalid("This link is not valid.")
    if link.used_at is not None:
        raise LinkInvalid("This link has been used already.")
    if link.expires_at <= now:
        raise LinkInvalid("This link has expired.")
    return link


def spend_sms_links(*, purpose: str, object_id: int, now: dt.datetime | None = None) -> None:
    """Mark this object's codes for this purpose used (a reschedule link moves the appointment once)."""
    from reminders.models import ShortLink

    ShortLink.objects.filter(purpose=purpose, object_id=object_id, used_at__isnull=True).update(
        used_at=now or timezone.now()
    )
