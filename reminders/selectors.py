"""Reminder queries shared by the staff pages: always scoped to the user's centers."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from chairs.selectors import centers_for
from reminders.models import NEEDS_FOLLOW_UP, DevelopmentSms, InboundSms, Reminder, ReminderStatus

FILTERS = {
    "follow_up": "To follow up",
    "pending": "Waiting",
    "sent": "Sent",
    "all": "All",
}


def reminders_for(*, user, view: str = "follow_up") -> QuerySet[Reminder]:
    reminders = Reminder.objects.filter(center__in=centers_for(user=user)).select_related(
        "appointment", "patient", "center", "followed_up_by"
    )
    if view == "follow_up":
        return reminders.filter(status__in=NEEDS_FOLLOW_UP, followed_up_at__isnull=True).order_by("-updated_at")
    if view == "pending":
        return reminders.filter(status__in=(ReminderStatus.PENDING, ReminderStatus.QUEUED)).order_by("due_at")
    if view == "sent":
        return reminders.filter(status__in=(ReminderStatus.SENT, ReminderStatus.DELIVERED)).order_by("-sent_at")
    return reminders.order_by("-updated_at")


def reminder_for(*, user, pk: int) -> Reminder:
    reminder = Reminder.objects.filter(pk=pk, center__in=centers_for(user=user)).first()
    if reminder is None:
        raise Http404("No such reminder.")
    return reminder


def development_messages_for(*, user, limit: int = 200) -> list[DevelopmentSms]:
    return list(
        DevelopmentSms.objects.filter(reminder__center__in=centers_for(user=user))
        .select_related("reminder", "reminder__patient", "reminder__center")
        .order_by("-created_at", "-pk")[:limit]
    )


def inbound_messages_for(*, user, limit: int = 100) -> list[InboundSms]:
    centers = centers_for(user=user)
    return list(
        InboundSms.objects.filter(appointment__center__in=centers)
        .union(InboundSms.objects.filter(appointment__isnull=True, from_number__in=_phones_of(centers)))
        .order_by("-received_at")[:limit]
    )


def _phones_of(centers) -> QuerySet:
    from patients.models import Patient

    return Patient.objects.filter(center__in=centers).exclude(phone="").values("phone")


def appointment_reminders(appointment) -> dict:
    """What the per-appointment reminder history shows."""
    return {
        "reminders": list(appointment.reminders.order_by("due_at", "channel")),
        "replies": list(appointment.inbound_sms.order_by("-received_at")),
    }
