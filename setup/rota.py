"""The rota's recurrence: which local dates a weekly pattern covers (RFC 5545 rules via python-dateutil).

Pure: dates in, dates out. Shifts are made from these dates by combining each date with the
pattern's wall-clock times in the center's zone (``setup.localtime``), so a 07:00 shift stays at
07:00 on both sides of a daylight-saving change.
"""

from __future__ import annotations

import datetime as dt

from dateutil.rrule import WEEKLY, rrule, weekdays


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def pattern_dates(
    *,
    weekday_numbers: list[int],
    every_weeks: int,
    first_week: dt.date,
    until: dt.date | None,
    date_from: dt.date,
    date_to: dt.date,
) -> list[dt.date]:
    """Dates in ``[date_from, date_to]`` on which the pattern has a shift.

    Weeks are counted from the Monday of ``first_week``, so "alternate Fridays" keeps its rhythm
    whatever range is asked for.
    """
    anchor = dt.datetime.combine(monday_of(first_week), dt.time(0))
    last = min(date_to, until) if until else date_to
    rule = rrule(
        WEEKLY,
        interval=every_weeks,
        byweekday=[weekdays[n] for n in sorted(set(weekday_numbers))],
        dtstart=anchor,
        until=dt.datetime.combine(last, dt.time(0)),
        wkst=0,
    )
    start = max(date_from, first_week)
    return [d.date() for d in rule if d.date() >= start]
