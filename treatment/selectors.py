"""The front desk's daily to-do list: upcoming doses that are not ready, and authorizations to renew.

Reads only; a fixed number of queries whatever the number of appointments.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from chairs.models import Center
from chairs.selectors import day_bounds, local_today
from scheduling.models import BLOCKING_STATUSES, Appointment, AppointmentStatus
from treatment.models import AuthorizationStatus, Order, PriorAuthorization
from treatment.readiness import Readiness, readiness_for

HORIZON_DAYS = 21
EXPIRY_WARNING_DAYS = 30
VISITS_LEFT_WARNING = 2


@dataclass(frozen=True)
class QueueEntry:
    appointment: Appointment
    readiness: Readiness


@dataclass(frozen=True)
class AuthorizationAlert:
    authorization: PriorAuthorization
    reasons: list[str]
    visits_used: int


def upcoming_not_ready(*, center: Center, today: dt.date | None = None) -> list[QueueEntry]:
    """Booked doses of the next 21 days (today included) that are not ready, soonest first."""
    today = today or local_today(center=center)
    start = day_bounds(center=center, day=today)[0]
    appointments = list(
        Appointment.objects.filter(
            center=center,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.PENDING),
            start__gte=start,
            start__lt=start + dt.timedelta(days=HORIZON_DAYS),
        )
        .select_related("patient", "protocol", "chair", "center")
        .order_by("start", "pk")
    )
    readiness = readiness_for(appointments, today=today)
    return [QueueEntry(a, readiness[a.pk]) for a in appointments if not readiness[a.pk].ready]


def authorization_alerts(*, center: Center, today: dt.date | None = None) -> list[AuthorizationAlert]:
    """Approved authorizations ending within 30 days or with at most two visits left."""
    today = today or local_today(center=center)
    authorizations = list(
        PriorAuthorization.objects.filter(
            patient__center=center,
            order__is_active=True,
            status=AuthorizationStatus.APPROVED,
            approved_until__gte=today,
        )
        .select_related("patient", "order__protocol")
        .order_by("approved_until", "pk")
    )
    with_limit = [a for a in authorizations if a.approved_visits is not None]
    used = _visits_used(with_limit, center) if with_limit else Counter()
    alerts = []
    for authorization in authorizations:
        assert authorization.approved_until is not None  # filtered above
        reasons = []
        if authorization.approved_until <= today + dt.timedelta(days=EXPIRY_WARNING_DAYS):
            days = (authorization.approved_until - today).days
            reasons.append(f"Ends on {authorization.approved_until:%Y-%m-%d} (in {days} days)")
        if authorization.approved_visits is not None:
            left = authorization.approved_visits - used[authorization.pk]
            if left <= VISITS_LEFT_WARNING:
                reasons.append(
                    f"{used[authorization.pk]} of {authorization.approved_visits} visits used or booked"
                    + (" — none left" if left <= 0 else f" — {left} left")
                )
        if reasons:
            alerts.append(AuthorizationAlert(authorization, reasons, used[authorization.pk]))
    return alerts


def _visits_used(authorizations: list[PriorAuthorization], center: Center) -> Counter:
    """Given or booked appointments inside each authorization's date range (one query)."""
    rows = Appointment.objects.filter(
        patient_id__in={a.patient_id for a in authorizations},
        protocol_id__in={a.order.protocol_id for a in authorizations},
        status__in=BLOCKING_STATUSES,
    ).values_list("patient_id", "protocol_id", "start")
    used: Counter = Counter()
    for patient_id, protocol_id, start in rows:
        day = start.astimezone(center.tzinfo).date()
        for authorization in authorizations:
            if (
                authorization.patient_id == patient_id
                and authorization.order.protocol_id == protocol_id
                and authorization.covers_date(day)
            ):
                used[authorization.pk] += 1
    return used


MISSED_LOOKBACK_DAYS = 30


@dataclass(frozen=True)
class MissedDose:
    appointment: Appointment
    order: Order | None
    following_booked: int


def missed_doses(*, center: Center, today: dt.date | None = None) -> list[MissedDose]:
    """No-shows of the last 30 days not yet made up: their series needs a re-flow (three queries)."""
    today = today or local_today(center=center)
    since = day_bounds(center=center, day=today - dt.timedelta(days=MISSED_LOOKBACK_DAYS))[0]
    missed = list(
        Appointment.objects.filter(center=center, status=AppointmentStatus.NOSHOW, start__gte=since)
        .select_related("patient", "protocol")
        .order_by("start")
    )
    if not missed:
        return []
    pairs = {(a.patient_id, a.protocol_id) for a in missed}
    later = list(
        Appointment.objects.filter(
            patient_id__in={p for p, _ in pairs},
            protocol_id__in={p for _, p in pairs},
            status__in=BLOCKING_STATUSES,
            start__gte=since,
        ).values_list("patient_id", "protocol_id", "start", "status", "dose_number")
    )
    orders = {
        (o.patient_id, o.protocol_id): o
        for o in Order.objects.filter(
            patient_id__in={p for p, _ in pairs}, protocol_id__in={p for _, p in pairs}, is_active=True
        ).order_by("start_date")
    }
    result = []
    for appointment in missed:
        key = (appointment.patient_id, appointment.protocol_id)
        after = [row for row in later if (row[0], row[1]) == key and row[2] > appointment.start]
        made_up = any(
            status != AppointmentStatus.BOOKED and dose <= appointment.dose_number for *_, status, dose in after
        )
        rebooked = any(dose == appointment.dose_number for *_, dose in after)
        if made_up or rebooked:
            continue
        booked = sum(1 for *_, status, _ in after if status in (AppointmentStatus.BOOKED, AppointmentStatus.PENDING))
        result.append(MissedDose(appointment, orders.get(key), booked))
    return result


# Kinds of missing item the queue is filtered and counted by.
MISSING_KINDS = {
    "order": "Doctor's order",
    "authorization": "Prior authorization",
    "check": "Checks before the dose",
}


def missing_kind(code: str) -> str:
    """The kind of a readiness item: its order, its authorization, or a check (document) before the dose."""
    if code == "no_order" or code.startswith("order_"):
        return "order"
    if "authorization" in code:
        return "authorization"
    return "check"


def entry_kinds(entry: QueueEntry) -> set[str]:
    return {missing_kind(item.code) for item in entry.readiness.missing}


def filter_queue(
    entries: list[QueueEntry], *, day: dt.date | None = None, kind: str = "", protocol_id: int | None = None
) -> list[QueueEntry]:
    """The entries on that local day, missing that kind of item, for that protocol (each filter optional)."""
    return [
        e
        for e in entries
        if (day is None or e.appointment.start.astimezone(e.appointment.center.tzinfo).date() == day)
        and (not kind or kind in entry_kinds(e))
        and (protocol_id is None or e.appointment.protocol_id == protocol_id)
    ]


def counts_by_kind(entries: list[QueueEntry]) -> list[tuple[str, str, int]]:
    """(kind, label, how many doses miss at least one item of that kind), in MISSING_KINDS order."""
    counts = Counter(kind for e in entries for kind in entry_kinds(e))
    return [(kind, label, counts[kind]) for kind, label in MISSING_KINDS.items()]
