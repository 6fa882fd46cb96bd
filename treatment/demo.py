"""Demo treatment plans: every demo dose gets an order and (usually) an approved authorization.

Deterministic from the patient's MRN so re-seeding changes nothing. A few
patients are left with the everyday gaps the work queue is for: a pending
authorization, one ending soon, one with its visits nearly used up, an MRI or
a checklist still to do before an upcoming dose.
"""

from __future__ import annotations

import datetime as dt

from patients.models import Patient
from scheduling.models import Protocol
from treatment.models import AuthorizationStatus, Order, PrerequisiteDocument, PriorAuthorization

PROVIDERS = ("Dr. Amara Patel", "Dr. Jonas Weber", "Dr. Lucia Ferreira", "Dr. Samuel Okoye")
PAYERS = ("Blue Cross Blue Shield", "Aetna", "UnitedHealthcare", "Medicare", "Harvard Pilgrim")


def _number(patient: Patient) -> int:
    digits = "".join(ch for ch in patient.mrn if ch.isdigit())
    return int(digits or 0)


def prepare_demo_dose(*, patient: Patient, protocol: Protocol, day: dt.date, dose: int, actor, today: dt.date) -> None:
    """Give the patient what booking this dose needs (idempotent)."""
    number = _number(patient)
    order, created = Order.objects.get_or_create(
        patient=patient,
        protocol=protocol,
        defaults={
            "ordering_provider": PROVIDERS[number % len(PROVIDERS)],
            "start_date": today - dt.timedelta(days=180),
            "valid_until": today + dt.timedelta(days=365),
            "created_by": actor,
        },
    )
    if created:
        _authorize(order, number, today, actor)
    for prerequisite in protocol.prerequisites.filter(is_active=True):
        if not prerequisite.applies_to_dose(dose):
            continue
        latest = day - dt.timedelta(days=prerequisite.min_days_before or 0)
        if latest >= today and (prerequisite.window_days == 0 or number % 5 == 0):
            continue  # still to do before an upcoming dose: shows in the work queue
        performed_on = min(today, latest)
        PrerequisiteDocument.objects.get_or_create(
            patient=patient,
            kind=prerequisite.kind,
            performed_on=performed_on,
            defaults={"result": "acceptable", "recorded_by": actor, "notes": "Demo record."},
        )


def _authorize(order: Order, number: int, today: dt.date, actor) -> None:
    values = {
        "patient": order.patient,
        "order": order,
        "payer": PAYERS[number % len(PAYERS)],
        "reference_number": f"PA-{number:06d}",
        "status": AuthorizationStatus.APPROVED,
        "approved_from": today - dt.timedelta(days=180),
        "approved_until": today + dt.timedelta(days=180),
        "created_by": actor,
    }
    if number % 17 == 0:
        values.update(status=AuthorizationStatus.PENDING, approved_from=None, approved_until=None)
    elif number % 23 == 1:
        values["approved_until"] = today + dt.timedelta(days=20)
    elif number % 23 == 2:
        values["approved_visits"] = 2
    PriorAuthorization.objects.create(**values)


SERIES_STAFFED_WEEKS = 26
# The staggered shifts of demo.seed_staff: early, mid and late.
SHIFT_PATTERNS = [(dt.time(7), dt.time(15, 30)), (dt.time(9), dt.time(17, 30)), (dt.time(10, 30), dt.time(19))]


def seed_series_shifts(*, center, after: dt.date, weeks: int = SERIES_STAFFED_WEEKS) -> int:
    """Staff the demo center for half a year after the booked fortnight, so whole series can be planned.

    Same staggered shifts and rotating day off as ``demo.seed_staff``; bulk-created (two queries), and
    only the missing ones, so re-seeding adds nothing.
    """
    from django.contrib.auth.models import User

    from chairs.models import NurseShift
    from scheduling.demo import NURSES

    usernames = [f"{first}.{last}".lower() for first, last in NURSES]
    by_name = {u.username: u for u in User.objects.filter(username__in=usernames)}
    nurses = [by_name[name] for name in usernames if name in by_name]
    tz = center.tzinfo
    begin = dt.datetime.combine(after + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    end = begin + dt.timedelta(weeks=weeks)
    existing = set(
        NurseShift.objects.filter(center=center, start__gte=begin, start__lt=end).values_list("nurse_id", "start")
    )
    shifts = []
    day = begin.date()
    while day < end.date():
        if day.weekday() < 5:
            for index, nurse in enumerate(nurses):
                if (index + day.toordinal()) % 7 == 0:
                    continue
                begins, ends = SHIFT_PATTERNS[index % len(SHIFT_PATTERNS)]
                start = dt.datetime.combine(day, begins, tzinfo=tz)
                if (nurse.pk, start) not in existing:
                    shifts.append(
                        NurseShift(
                            center=center, nurse=nurse, start=start, end=dt.datetime.combine(day, ends, tzinfo=tz)
                        )
                    )
        day += dt.timedelta(days=1)
    NurseShift.objects.bulk_create(shifts)
    return len(shifts)
