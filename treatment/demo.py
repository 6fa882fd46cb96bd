"""Demo treatment plans: every demo dose gets an order and (usually) an approved authorization.

Deterministic from the patient's MRN so re-seeding changes nothing. A few
patients are left with the everyday gaps the work queue is for: a pending
authorization, one ending soon, one with its visits nearly used up, an MRI or
a checklist still to do before an upcoming dose.

Authorizations walk the workflow through its one service (``treatment.authorizations.record_stage``)
with realistic delays: submitted a few days after the order, decided after the payer's usual weeks
(Medicare days, Harvard Pilgrim over five weeks), some after a peer-to-peer review, some denied and
approved on a level 1 appeal; a few are still with the payer (one overdue).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from patients.models import Patient
from scheduling.models import Protocol
from treatment.models import AuthorizationStatus, Order, PrerequisiteDocument, PriorAuthorization

PROVIDERS = ("Dr. Amara Patel", "Dr. Jonas Weber", "Dr. Lucia Ferreira", "Dr. Samuel Okoye")
PAYERS = ("Blue Cross Blue Shield", "Aetna", "UnitedHealthcare", "Medicare", "Harvard Pilgrim")


def _number(patient: Patient) -> int:
    digits = "".join(ch for ch in patient.mrn if ch.isdigit())
    return int(digits or 0)


@transaction.atomic
def prepare_demo_dose(*, patient: Patient, protocol: Protocol, day: dt.date, dose: int, actor, today: dt.date) -> None:
    """Give the patient what booking this dose needs (idempotent: the order and its authorization's stages
    are written together or not at all)."""
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
        "status": AuthorizationStatus.PENDING,
        "created_by": actor,
    }
    authorization = PriorAuthorization.objects.create(**values)
    _medication_history(order, number, authorization.payer, actor)
    if number % 17 == 0:
        _pending_stages(authorization, number, today, actor)
        return
    approved_until = today + dt.timedelta(days=180)
    visits = None
    if number % 23 == 1:
        approved_until = today + dt.timedelta(days=20)
    elif number % 23 == 2:
        visits = 2
    _approved_stages(authorization, number, order.start_date, actor, approved_until=approved_until, visits=visits)


# Days a payer takes to decide, in the demo: payers differ by weeks.
PAYER_DAYS = {"Medicare": 4, "Blue Cross Blue Shield": 10, "Aetna": 18, "UnitedHealthcare": 26, "Harvard Pilgrim": 38}
DENIAL_REASONS = ("step_therapy_not_met", "missing_documentation", "not_medically_necessary")


def _approved_stages(authorization, number: int, ordered: dt.date, actor, *, approved_until, visits) -> None:
    """Submitted a few days after the order, decided after the payer's weeks; some denials overturned on appeal."""
    from treatment.authorizations import record_stage

    def stage(name: str, day: dt.date, **details) -> None:
        record_stage(actor=actor, authorization=authorization, stage=name, occurred_on=day, today=day, **details)

    submitted = ordered + dt.timedelta(days=1 + number % 4)
    stage("submitted", submitted)
    day = submitted + dt.timedelta(days=PAYER_DAYS.get(authorization.payer, 14) + number % 7)
    if number % 9 == 7:
        stage("info_requested", submitted + dt.timedelta(days=3))
        stage("info_sent", submitted + dt.timedelta(days=6))
        slot_day = submitted + dt.timedelta(days=10)
        slot = dt.datetime.combine(slot_day, dt.time(16, 30), tzinfo=authorization.patient.center.tzinfo)
        stage("p2p_scheduled", submitted + dt.timedelta(days=7), peer_to_peer_at=slot, reviewer="Dr. R. Molina (payer)")
        stage("p2p_held", slot_day, outcome="supports_approval")
        day = max(day, slot_day + dt.timedelta(days=2))
    elif number % 9 == 4:
        stage("denied", day, denial_reason=DENIAL_REASONS[number % len(DENIAL_REASONS)])
        day += dt.timedelta(days=5 + number % 8)
        stage("appeal_1", day, note="Letter of medical necessity and the prior-therapy records.")
        day += dt.timedelta(days=14 + number % 10)
    stage(
        "approved",
        day,
        approved_from=ordered,
        approved_until=approved_until,
        approved_visits=visits,
    )


def _pending_stages(authorization, number: int, today: dt.date, actor) -> None:
    """Still with the payer: what the work queue's next actions are for (one of them overdue)."""
    from treatment.authorizations import record_stage

    def stage(name: str, day: dt.date, **details) -> None:
        record_stage(actor=actor, authorization=authorization, stage=name, occurred_on=day, today=day, **details)

    if number % 3 == 0:
        stage("submitted", today - dt.timedelta(days=20))  # the payer's answer is overdue
    elif number % 3 == 1:
        stage("submitted", today - dt.timedelta(days=9))
        stage("info_requested", today - dt.timedelta(days=2))
    else:
        stage("submitted", today - dt.timedelta(days=12))
        slot = dt.datetime.combine(
            today + dt.timedelta(days=3), dt.time(15), tzinfo=authorization.patient.center.tzinfo
        )
        stage("p2p_scheduled", today - dt.timedelta(days=1), peer_to_peer_at=slot, reviewer="Dr. K. Ito (payer)")


# Step therapy the demo payers ask for (names as in their medical policies; a demo, not a policy).
STEP_RULES = (
    ("Aetna", "ocr", "A first-line disease-modifying therapy", ["interferon beta-1a", "glatiramer acetate"], 90),
    (
        "UnitedHealthcare",
        "nat",
        "A first-line disease-modifying therapy",
        ["interferon beta-1a", "dimethyl fumarate"],
        180,
    ),
    ("UnitedHealthcare", "ept", "Two oral preventive medications", ["topiramate", "propranolol"], 60),
)


def _medication_history(order: Order, number: int, payer: str, actor) -> None:
    """Seed the payers' step-therapy rules (once) and, for most patients they apply to, the history that meets them."""
    from treatment.models import MedicationHistory, StepTherapyRule

    for rule_payer, code, name, therapies, days in STEP_RULES:
        protocol = Protocol.objects.filter(code=code).first()
        if protocol is not None:
            StepTherapyRule.objects.get_or_create(
                payer=rule_payer,
                protocol=protocol,
                name=name,
                defaults={"therapies": therapies, "min_trial_days": days, "notes": "Demo rule."},
            )
    rules = StepTherapyRule.objects.filter(protocol=order.protocol, payer__iexact=payer)
    for rule in rules:
        if number % 6 == 5:
            continue  # nothing recorded yet: the authorization page says what is missing
        started = order.start_date - dt.timedelta(days=400)
        ended = started + dt.timedelta(days=(rule.min_trial_days or 90) + 30)
        MedicationHistory.objects.get_or_create(
            patient=order.patient,
            therapy=rule.therapies[number % len(rule.therapies)],
            defaults={
                "started_on": started,
                "ended_on": ended,
                "outcome": "failed" if number % 2 else "not_tolerated",
                "notes": "Demo record.",
                "recorded_by": actor,
            },
        )


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
