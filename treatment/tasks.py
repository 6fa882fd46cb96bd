"""Periodic work of the prior-authorization workflow (Celery beat): release due holds, remind staff.

Tasks take no objects and are safe to run twice: a hold is released once (the state machine refuses a
second release), and each staff reminder is sent once per authorization, action, due date and kind
(``StaffTaskReminder``'s unique constraint).
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from chairs.models import Center
from chairs.roles import CENTER_ADMIN, FRONT_DESK
from chairs.selectors import local_today
from treatment.authorization_selectors import AuthorizationTask, authorization_tasks
from treatment.authorizations import release_due_holds
from treatment.models import StaffTaskReminder

# Staff hear of a step this many days before it is due, and once more the day after it was missed.
REMIND_DAYS_AHEAD = 2


@shared_task(name="treatment.release_due_holds")
def release_due_holds_task() -> int:
    return release_due_holds()


def _recipients(center: Center) -> list[str]:
    """The center's access coordinators: its front-desk staff and center admins with an email address."""
    staff = center.staff.filter(is_active=True, groups__name__in=(FRONT_DESK, CENTER_ADMIN)).exclude(email="")
    return sorted(set(staff.values_list("email", flat=True)))


def _claim(task: AuthorizationTask, kind: str) -> bool:
    """Record that this reminder goes out; False when an earlier run already sent it."""
    try:
        with transaction.atomic():
            StaffTaskReminder.objects.create(
                authorization=task.authorization, action=task.action.code, due_on=task.action.due_on, kind=kind
            )
    except IntegrityError:
        return False
    return True


def _line(task: AuthorizationTask) -> str:
    """One line per task: the MRN, never the drug or diagnosis (staff email leaves the system)."""
    auth = task.authorization
    late = task.days_overdue
    when = (
        f"{late} day{'s' if late != 1 else ''} overdue" if task.is_overdue else f"due {task.action.due_on:%a %Y-%m-%d}"
    )
    link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("authorization_detail", args=[auth.pk])
    return f"- MRN {auth.patient.mrn}, {auth.payer}: {task.action.text} ({when})\n  {link}"


def remind_staff(*, now: dt.datetime | None = None) -> int:
    """Email each center's coordinators the authorization steps due soon or just missed; returns emails sent."""
    now = now or timezone.now()
    sent = 0
    for center in Center.objects.all():
        today = local_today(center=center, now=now)
        due = []
        for task in authorization_tasks(center=center, today=today):
            if task.is_overdue:
                kind = "overdue"
            elif task.days_left <= REMIND_DAYS_AHEAD:
                kind = "upcoming"
            else:
                continue
            if _claim(task, kind):
                due.append(task)
        recipients = _recipients(center)
        if not due or not recipients:
            continue
        body = (
            f"Prior-authorization steps at {center.name} due by "
            f"{today + dt.timedelta(days=REMIND_DAYS_AHEAD):%Y-%m-%d} or overdue:\n\n"
            + "\n".join(_line(t) for t in due)
            + "\n\nThe work queue lists them all, overdue first.\n"
        )
        send_mail(
            subject=f"{center.name}: {len(due)} prior-authorization step{'s' if len(due) != 1 else ''} due",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
        sent += 1
    return sent


@shared_task(name="treatment.remind_staff_of_authorization_steps")
def remind_staff_task() -> int:
    return remind_staff()
