"""The planner's adapter: build its plain input from the database in a constant number of queries."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Min
from django.db.models.functions import Least

from chairs.models import Center, ChairBlock, NurseShift
from chairs.selectors import day_bounds
from scheduling import planner
from scheduling.models import Appointment, Protocol

# Appointments and blocks are loaded with this much margin around the range, so a booking
# that began the evening before (or a block spanning days) is still seen.
MARGIN = dt.timedelta(days=1)


def rules_for(center: Center, date_from: dt.date, date_to: dt.date) -> planner.CenterRules:
    hours = {h.weekday: (h.opens, h.closes) for h in center.opening_hours.all()}
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
        opening_hours=hours,
        closures=closures,
        min_useful_gap_minutes=shortest or 60,
    )


def planner_input_for(*, center: Center, date_from: dt.date, date_to: dt.date) -> planner.PlannerInput:
    """Everything the planner needs about the center between two local dates (7 queries)."""
    lo, hi = day_bounds(center=center, day=date_from, last_day=date_to)
    lo, hi = lo - MARGIN, hi + MARGIN
    chairs = tuple(
        planner.ChairInfo(id=c.pk, label=c.label, kind=c.kind, features=frozenset(c.features), is_active=c.is_active)
        for c in center.chairs.all().only("pk", "center_id", "label", "kind", "features", "is_active")
    )
    booked = tuple(
        planner.BookedSlot(id=pk, chair_id=chair_id, start=start, end=end)
        for pk, chair_id, start, end in Appointment.objects.active()
        .filter(center=center, start__lt=hi, end__gt=lo)
        .values_list("pk", "chair_id", "start", "end")
    )
    blocks = tuple(
        planner.BlockedTime(chair_id=chair_id, start=start, end=end, reason=reason)
        for chair_id, start, end, reason in ChairBlock.objects.filter(
            chair__center=center, start__lt=hi, end__gt=lo
        ).values_list("chair_id", "start", "end", "reason")
    )
    shifts = tuple(
        planner.Shift(nurse_id=nurse_id, start=start, end=end)
        for nurse_id, start, end in NurseShift.objects.filter(center=center, start__lt=hi, end__gt=lo).values_list(
            "nurse_id", "start", "end"
        )
    )
    return planner.PlannerInput(
        rules=rules_for(center, date_from, date_to), chairs=chairs, booked=booked, blocks=blocks, shifts=shifts
    )


def check_dose_placement(
    pin: planner.PlannerInput,
    *,
    protocol: Protocol,
    dose_number: int,
    chair_id: int,
    start: dt.datetime,
    exclude_appointment_id: int | None = None,
) -> list[planner.Refusal]:
    """``planner.check_placement`` for one dose: its chair time and the chair kind and features it needs."""
    return planner.check_placement(
        pin,
        chair_id=chair_id,
        start=start,
        chair_minutes=protocol.chair_minutes(dose_number),
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
) -> planner.SlotRequest:
    return planner.SlotRequest(
        chair_minutes=protocol.chair_minutes(dose_number),
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
