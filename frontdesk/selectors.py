"""Reads for the day's patient flow: arrivals, the waiting room, who is in a chair, late arrivals.

Everything here is a query or a pure calculation; status changes go through
``scheduling.services.transition``. "Today" is the center's local day, and
every page asks for the current time once (``now``) so a page is consistent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from chairs.models import Center, Closure, OpeningHours
from chairs.selectors import day_bounds, local_today
from patients.selectors import parse_date_of_birth
from regimens.selectors import attach_dose_plans
from scheduling.models import BLOCKING_STATUSES, Appointment, AppointmentStatus

WAIT_WARNING_MINUTES = 15
WAIT_DANGER_MINUTES = 30

# Statuses a late arrival can still be rescheduled from (not yet in a chair).
NOT_SEATED = (AppointmentStatus.BOOKED, AppointmentStatus.PENDING, AppointmentStatus.ARRIVED)


def search_filter(query: str) -> Q:
    """Match a patient by name (any order), MRN or date of birth."""
    query = query.strip()
    if not query:
        return Q()
    born = parse_date_of_birth(query)
    if born:
        return Q(patient__date_of_birth=born)
    condition = Q(patient__mrn__iexact=query) | Q(patient__mrn__icontains=query)
    words = [w for w in re.split(r"[\s,]+", query) if w]
    by_name = Q()
    for word in words:
        by_name &= Q(patient__first_name__icontains=word) | Q(patient__last_name__icontains=word)
    return condition | by_name


def appointments_on(*, center: Center, day: dt.date) -> QuerySet[Appointment]:
    start, end = day_bounds(center=center, day=day)
    return (
        Appointment.objects.filter(center=center, start__gte=start, start__lt=end)
        .exclude(status=AppointmentStatus.ENTERED_IN_ERROR)
        .select_related("center", "patient", "protocol", "chair")
        .order_by("start", "chair__label", "pk")
    )


def arrivals(*, center: Center, now: dt.datetime, query: str = "") -> list[Appointment]:
    """Today's appointments in expected order, optionally narrowed by a search, each with its dose plan
    (``appointment.dose_plan``: amount and weight staleness, regimens' fixed queries)."""
    found = list(appointments_on(center=center, day=local_today(center=center, now=now)).filter(search_filter(query)))
    attach_dose_plans(found, tz=center.tzinfo)
    return found


@dataclass(frozen=True)
class DayCounts:
    expected: int = 0
    waiting: int = 0
    in_chair: int = 0
    done: int = 0
    noshow: int = 0
    cancelled: int = 0


_COUNT_BUCKETS = {
    AppointmentStatus.PENDING: "expected",
    AppointmentStatus.BOOKED: "expected",
    AppointmentStatus.ARRIVED: "waiting",
    AppointmentStatus.CHECKED_IN: "in_chair",
    AppointmentStatus.FULFILLED: "done",
    AppointmentStatus.NOSHOW: "noshow",
    AppointmentStatus.CANCELLED: "cancelled",
}


def day_counts(*, center: Center, now: dt.datetime) -> DayCounts:
    """How today's appointments stand: still expected, waiting, in a chair, done, no-show, cancelled."""
    totals: dict[str, int] = {}
    rows = (
        appointments_on(center=center, day=local_today(center=center, now=now))
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    for status, n in rows:
        bucket = _COUNT_BUCKETS.get(status)
        if bucket:
            totals[bucket] = totals.get(bucket, 0) + n
    return DayCounts(**totals)


@dataclass(frozen=True)
class WaitingPatient:
    appointment: Appointment
    waited_minutes: int

    @property
    def level(self) -> str:
        """Bootstrap colour for how long the patient has waited."""
        if self.waited_minutes > WAIT_DANGER_MINUTES:
            return "danger"
        if self.waited_minutes > WAIT_WARNING_MINUTES:
            return "warning"
        return ""


def waiting_room(*, center: Center, now: dt.datetime) -> list[WaitingPatient]:
    """Patients who have arrived today and are not yet in a chair, longest wait first."""
    waiting = appointments_on(center=center, day=local_today(center=center, now=now)).filter(
        status=AppointmentStatus.ARRIVED
    )
    entries = [WaitingPatient(a, max(0, int((now - (a.arrived_at or now)).total_seconds() // 60))) for a in waiting]
    return sorted(entries, key=lambda e: (-e.waited_minutes, e.appointment.start))


def in_chairs(*, center: Center, now: dt.datetime) -> list[Appointment]:
    """Patients in a chair (in chair, infusing or in observation), by chair.

    Someone seated on an earlier day and never discharged stays listed, so a
    nurse can still discharge them rather than lose them from every page.
    """
    _, end_of_today = day_bounds(center=center, day=local_today(center=center, now=now))
    return list(
        Appointment.objects.filter(center=center, status=AppointmentStatus.CHECKED_IN, start__lt=end_of_today)
        .select_related("center", "patient", "protocol", "chair")
        .order_by("chair__label", "start")
    )


def closing_time(*, center: Center, day: dt.date) -> dt.datetime | None:
    """When the center closes on ``day`` (None when it is closed or has no hours that weekday)."""
    if Closure.objects.filter(center=center, date=day).exists():
        return None
    hours = OpeningHours.objects.filter(center=center, weekday=day.weekday()).first()
    if hours is None:
        return None
    return dt.datetime.combine(day, hours.closes, tzinfo=center.tzinfo)


def next_bookings_on_chairs(*, appointments: list[Appointment], center: Center, day: dt.date) -> dict[int, dt.datetime]:
    """For each appointment id, the start of the next chair-holding booking on its chair that day."""
    start, end = day_bounds(center=center, day=day)
    by_chair: dict[int, list[tuple[dt.datetime, int]]] = {}
    for chair_id, other_start, other_pk in (
        Appointment.objects.filter(center=center, start__gte=start, start__lt=end, status__in=BLOCKING_STATUSES)
        .values_list("chair_id", "start", "pk")
        .order_by("start")
    ):
        by_chair.setdefault(chair_id, []).append((other_start, other_pk))
    result = {}
    for appointment in appointments:
        later = [
            s for s, pk in by_chair.get(appointment.chair_id, []) if s >= appointment.start and pk != appointment.pk
        ]
        if later:
            result[appointment.pk] = later[0]
    return result


def _minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    return int((end - start).total_seconds() // 60)


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    return f"{hours} h" if hours else f"{rest} min"


def late_arrival_problem(
    *,
    appointment: Appointment,
    now: dt.datetime,
    closes_at: dt.datetime | None,
    next_booking_at: dt.datetime | None,
) -> str | None:
    """Why a patient starting now no longer fits the booked chair today, or None when they still fit.

    Pure: the caller supplies the closing time and the next booking on the chair.
    """
    if appointment.status not in NOT_SEATED or appointment.chair_stage or now <= appointment.start:
        return None
    minutes = appointment.chair_minutes
    would_end = now + dt.timedelta(minutes=minutes)
    limits = []
    if closes_at is not None and would_end > closes_at:
        limits.append((closes_at, "closing"))
    if next_booking_at is not None and would_end > next_booking_at:
        limits.append((next_booking_at, f"the next booking on {appointment.chair.label}"))
    if not limits:
        return None
    limit_at, what = min(limits)
    tz = appointment.center.tzinfo
    booked = f"{appointment.start.astimezone(tz):%H:%M}"
    if appointment.arrived_at is None:
        lateness = (
            f"Not here yet, {_duration(_minutes_between(appointment.start, now))} after the booked start ({booked})"
        )
    elif appointment.arrived_at > appointment.start:
        lateness = (
            f"Arrived {_duration(_minutes_between(appointment.start, appointment.arrived_at))} late (booked {booked})"
        )
    else:
        lateness = (
            f"Still not seated {_duration(_minutes_between(appointment.start, now))} after the booked start ({booked})"
        )
    return (
        f"{lateness}: "
        f"{_duration(minutes)} of chair time from now would end at {would_end.astimezone(tz):%H:%M}, "
        f"after {what} at {limit_at.astimezone(tz):%H:%M}. The booked slot no longer fits."
    )


def late_arrival_problems(*, center: Center, appointments: list[Appointment], now: dt.datetime) -> dict[int, str]:
    """Late-arrival messages for those of ``appointments`` (all on today) that no longer fit."""
    day = local_today(center=center, now=now)
    candidates = [a for a in appointments if a.status in NOT_SEATED and not a.chair_stage and now > a.start]
    if not candidates:
        return {}
    closes_at = closing_time(center=center, day=day)
    following = next_bookings_on_chairs(appointments=candidates, center=center, day=day)
    problems = {}
    for appointment in candidates:
        problem = late_arrival_problem(
            appointment=appointment, now=now, closes_at=closes_at, next_booking_at=following.get(appointment.pk)
        )
        if problem:
            problems[appointment.pk] = problem
    return problems
