"""Reads of booking templates shared by the planner's adapter, the template page and Insights."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from booking_templates.models import BookingTemplate
from chairs.models import Center
from scheduling import planner


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

    Measured against the current template; for Insights' compliance-over-time chart.
    """
    from scheduling.planner_input import planner_input_for

    pin = planner_input_for(center=center, date_from=date_from, date_to=date_to)
    days = []
    day = date_from
    while day <= date_to:
        in_template, bookings = planner.template_compliance(pin, day)
        days.append(DayCompliance(day, in_template, bookings))
        day += dt.timedelta(days=1)
    return days
