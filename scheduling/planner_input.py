"""The planner's adapter: build its plain input from the database in a constant number of queries."""

from __future__ import annotations

import datetime as dt

from django.db.models import BigIntegerField, F, Min
from django.db.models.functions import Cast, Extract, Least

from booking_templates.selectors import planner_template_for
from chairs.models import Center, ChairBlock, NurseShift, OpeningHours
from chairs.selectors import day_bounds
from patients.models import Patient
from scheduling import planner
from scheduling.models import Appointment, Protocol

# Appointments and blocks are loaded with this much margin around the range, so a booking
# that began the evening before (or a block spanning days) is still seen.
MARGIN = dt.timedelta(days=1)


class _Instants(dict):
    """UTC datetimes by epoch second, each made once: a fortnight's thousands of bookings share a few
    hundred grid times, and turning timestamps into datetimes was most of the input's cost."""

    def __missing__(self, seconds: int) -> dt.datetime:
        value = self[seconds] = dt.datetime.fromtimestamp(seconds, dt.UTC)
        return value


def _epoch(field: str) -> Cast:
    return Cast(Extract(field, "epoch"), BigIntegerField())


BREAK_REASON = "The center is closed for its midday break."


def breaks_between(
    center: Center, date_from: dt.date, date_to: dt.date, *, hours: list[OpeningHours] | None = None
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The instants of each split day's break, from the local wall-clock times (daylight-saving safe)."""
    tz = center.tzinfo
    rows = center.opening_hours.all() if hours is None else hours
    breaks = {
        h.weekday: (h.break_starts, h.break_ends)
        for h in rows
        if h.break_starts is not None and h.break_ends is not None  # OpeningHours.has_break, spelled for mypy
    }
    found = []
    day = date_from
    while breaks and day <= date_to:
        if day.weekday() in breaks:
            starts, ends = breaks[day.weekday()]
            found.append((dt.datetime.combine(day, starts, tzinfo=tz), dt.datetime.combine(day, ends, tzinfo=tz)))
        day += dt.timedelta(days=1)
    return found


def rules_for(
    center: Center, date_from: dt.date, date_to: dt.date, *, hours: list[OpeningHours] | None = None
) -> planner.CenterRules:
    rows = center.opening_hours.all() if hours is None else hours
    weekly = {h.weekday: (h.opens, h.closes) for h in rows}
    closures = frozenset(center.closures.filter(date__gte=date_from, date__lte=date_to).values_list("date", flat=True))
    shortest = Protocol.objects.filter(is_active=True).aggregate(
        minutes=Min(
            F("setup_minutes")
            + F("premedication_minutes")
            + Least("first_dose_infusion_minutes", "later_dose_infusion_minutes")
            + F("observation_minutes")
        )
    )["minutes"]
    return planner.CenterRules(
        timezone=center.timezone,
        slot_minutes=center.slot_minutes,
        patients_per_nurse=center.patients_per_nurse,
        starts_per_nurse_per_window=center.starts_per_nurse_per_window,
        start_window_minutes=center.start_window_minutes,
        opening_hours=weekly,
        closures=closures,
        min_useful_gap_minutes=shortest or 60,
    )


def planner_input_for(*, center: Center, date_from: dt.date, date_to: dt.date) -> planner.PlannerInput:
    """Everything the planner needs about the center between two local dates (8 queries)."""
    lo, hi = day_bounds(center=center, day=date_from, last_day=date_to)
    lo, hi = lo - MARGIN, hi + MARGIN
    hours = list(center.opening_hours.all())
    chairs = tuple(
        planner.ChairInfo(id=c.pk, label=c.label, kind=c.kind, features=frozenset(c.features), is_active=c.is_active)
        for c in center.chairs.all().only("pk", "center_id", "label", "kind", "features", "is_active")
    )
    instants = _Instants()
    booked = tuple(
        planner.BookedSlot(id=pk, chair_id=chair_id, start=instants[start], end=instants[end])
        for pk, chair_id, start, end in Appointment.objects.active()
        .filter(center=center, start__lt=hi, end__gt=lo)
        .order_by()  # the planner sorts; the model's ordering would join chairs and centers to sort 4,000 rows
        .values_list("pk", "chair_id", _epoch("start"), _epoch("end"))
    )
    blocks = tuple(
        planner.BlockedTime(chair_id=chair_id, start=start, end=end, reason=reason)
        for chair_id, start, end, reason in ChairBlock.objects.filter(chair__center=center, start__lt=hi, end__gt=lo)
        .order_by()
        .values_list("chair_id", "start", "end", "reason")
    ) + tuple(
        planner.BlockedTime(chair_id=chair.id, start=start, end=end, reason=BREAK_REASON)
        for start, end in breaks_between(center, date_from, date_to, hours=hours)
        for chair in chairs
    )
    shifts = tuple(
        planner.Shift(nurse_id=nurse_id, start=start, end=end)
        for nurse_id, start, end in NurseShift.objects.filter(center=center, start__lt=hi, end__gt=lo)
        .order_by()
        .values_list("nurse_id", "start", "end")
    )
    return planner.PlannerInput(
        rules=rules_for(center, date_from, date_to, hours=hours),
        chairs=chairs,
        booked=booked,
        blocks=blocks,
        shifts=shifts,
        template=planner_template_for(center=center),
    )


def check_dose_placement(
    pin: planner.PlannerInput,
    *,
    protocol: Protocol,
    dose_number: int,
    chair_id: int,
    start: dt.datetime,
    exclude_appointment_id: int | None = None,
    patient: Patient | None = None,
) -> list[planner.Refusal]:
    """``planner.check_placement`` for one dose: its chair time (for this patient: weight, reactions) and
    the chair kind and features it needs."""
    return planner.check_placement(
        pin,
        chair_id=chair_id,
        start=start,
        chair_minutes=protocol.chair_minutes(dose_number, patient),
        required_kind=protocol.required_chair_kind or None,
        required_features=frozenset(protocol.required_features),
        exclude_appointment_id=exclude_appointment_id,
    )


def slot_request_for(
    *,
    protocol: Protocol,
    dose_number: int,
    date_from: dt.date,
    date_to: dt.date,
    preferred_time_of_day: str = "any",
    preferred_weekdays: frozenset[int] | None = None,
    exclude_appointment_id: int | None = None,
    limit: int = 10,
    not_before: dt.datetime | None = None,
    patient: Patient | None = None,
) -> planner.SlotRequest:
    return planner.SlotRequest(
        chair_minutes=protocol.chair_minutes(dose_number, patient),
        date_from=date_from,
        date_to=date_to,
        required_kind=protocol.required_chair_kind or None,
        required_features=frozenset(protocol.required_features),
        preferred_time_of_day=preferred_time_of_day or "any",
        preferred_weekdays=frozenset(preferred_weekdays) if preferred_weekdays else None,
        exclude_appointment_id=exclude_appointment_id,
        limit=limit,
        not_before=not_before,
    )
