"""Reads of booking templates shared by the planner's adapter, the template page and Insights."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking_templates.models import BookingTemplate
from chairs.models import Center
from chairs.selectors import day_bounds
from scheduling import planner
from scheduling.models import BLOCKING_STATUSES, Appointment


def current_templates(*, center: Center) -> dict[int, BookingTemplate]:
    """The newest version of each weekday's template (one query)."""
    newest: dict[int, BookingTemplate] = {}
    for template in BookingTemplate.objects.filter(center=center).order_by("weekday", "-version"):
        newest.setdefault(template.weekday, template)
    return newest


def planner_template_for(*, center: Center) -> planner.Template | None:
    """The template the planner follows for the center (None when it has none yet)."""
    rows = BookingTemplate.objects.filter(center=center).order_by("weekday", "-version").values_list("weekday", "slots")
    days: dict[int, tuple[planner.TemplateSlot, ...]] = {}
    for weekday, slots in rows:
        if weekday not in days:
            days[weekday] = tuple(
                planner.TemplateSlot(dt.time(minute // 60, minute % 60), minutes, count)
                for minute, minutes, count in slots
            )
    return planner.Template(days) if days else None


@dataclass(frozen=True)
class DayCompliance:
    day: dt.date
    in_template: int
    bookings: int

    @property
    def share(self) -> float | None:
        """Share of the day's bookings placed in template slots (None on a day without bookings)."""
        return self.in_template / self.bookings if self.bookings else None


def compliance(*, center: Center, date_from: dt.date, date_to: dt.date) -> list[DayCompliance]:
    """For each day, bookings placed in a template slot (right start, right length) out of all bookings.

    Measured against the current template by the planner's own count (``planner.template_compliance``),
    fed only what that count reads: the active bookings starting on the range's days, in one query.
    A booking that starts before a day's opening can fill no template slot and is no booking of
    that day's, and chair blocks and nurse shifts do not enter the count, so they are left out: the
    planner's full input for the range cost more than the count itself. For Insights'
    compliance-over-time chart.
    """
    from scheduling.planner_input import fixed_input_for

    fixed = fixed_input_for(center.pk)
    lo, hi = day_bounds(center=center, day=date_from, last_day=date_to)
    rows = (
        Appointment.objects.filter(center=center, start__gte=lo, start__lt=hi, status__in=BLOCKING_STATUSES)
        .order_by()
        .values_list("pk", "chair_id", "start", "end")
    )
    pin = planner.PlannerInput(
        rules=fixed.rules(date_from, date_to),
        chairs=fixed.chairs,
        booked=tuple(planner.BookedSlot(pk, chair_id, start, end) for pk, chair_id, start, end in rows),
        template=fixed.template,
    )
    days = []
    day = date_from
    while day <= date_to:
        in_template, bookings = planner.template_compliance(pin, day)
        days.append(DayCompliance(day, in_template, bookings))
        day += dt.timedelta(days=1)
    return days


@dataclass(frozen=True)
class PlannedSlot:
    """One grid slot of a template day against the center's capacity that day."""

    start: dt.datetime
    planned_in_chairs: int  # template starts whose chair time covers the slot
    chair_capacity: int  # chairs, or fewer when the nurses on shift can watch fewer patients
    planned_starts: int  # template starts in the slot's start window
    start_capacity: int
    booked_in_chairs: int


@dataclass(frozen=True)
class TemplateDay:
    template: BookingTemplate | None
    day: dt.date
    slots: list[PlannedSlot]
    # Template grid: rows of (start time, {duration class: starts kept}).
    grid: list[tuple[dt.time, dict[int, int]]]
    classes: list[int]
    compliance: DayCompliance


def template_day(*, center: Center, day: dt.date) -> TemplateDay:
    """The weekday's current template laid on ``day``: planned occupancy and starts against capacity."""
    from scheduling.planner_input import planner_input_for

    template = current_templates(center=center).get(day.weekday())
    pin = planner_input_for(center=center, date_from=day, date_to=day)
    loads = planner.day_load(pin, day)
    chairs = sum(1 for c in pin.chairs if c.is_active)
    kept = [tuple(s) for s in template.slots] if template else []
    tz = pin.rules.tzinfo
    starts_at: dict[tuple[dt.datetime, int], int] = {}
    for minute, minutes, count in kept:
        start = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz).astimezone(dt.UTC)
        starts_at[(start, minutes)] = starts_at.get((start, minutes), 0) + count
    slots = []
    for load in loads:
        in_chairs = sum(c for (s, m), c in starts_at.items() if s <= load.start < s + dt.timedelta(minutes=m))
        window = planner.start_window(pin.rules, load.start)
        starts = sum(c for (s, _), c in starts_at.items() if window[0] <= s < window[1])
        slots.append(
            PlannedSlot(
                start=load.start,
                planned_in_chairs=in_chairs,
                chair_capacity=min(chairs, load.watch_capacity),
                planned_starts=starts,
                start_capacity=load.start_capacity,
                booked_in_chairs=load.watched,
            )
        )
    classes = sorted({minutes for _, minutes, _ in kept})
    rows: dict[int, dict[int, int]] = {}
    for minute, minutes, count in kept:
        rows.setdefault(minute, {})[minutes] = rows.get(minute, {}).get(minutes, 0) + count
    grid = [(dt.time(m // 60, m % 60), rows[m]) for m in sorted(rows)]
    in_template, bookings = planner.template_compliance(pin, day)
    return TemplateDay(template, day, slots, grid, classes, DayCompliance(day, in_template, bookings))
