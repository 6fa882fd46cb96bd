"""Demo treatment plans: every demo dose gets an order and (usually) an approved authorization.

Deterministic from the patient's MRN so re-seeding changes nothing. A few
patients are left with the everyday gaps the work queue is for: a pending
authorization, one ending soon, one with its visits nearly used up, an MRI or
a checklist still to do before an upcoming dose.
"""

from __future__ import annotations

import datetime as dt

from patients.models import AuthorizationStatus, Order, Patient, PrerequisiteDocument, PriorAuthorization
from scheduling.models import Protocol

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
