"""Building booking templates: the only place templates are written.

For each open weekday of a center the builder works out

* the **demand**: patients a day per duration class, from the center's bookings on that weekday
  over the last ``weeks`` weeks (or a declared mix for a new center);
* the **capacity**: chairs, and for every grid slot the watch and start capacity the nurses on
  shift give (the median over the same weekdays, past weeks and the two weeks ahead);

then solves the template with CP-SAT (``booking_templates.solver``, limited by deterministic time,
so the same bookings give the same template, with a wall-clock safety cap). When the solver finds
nothing in time the previous version stays in force; a new version is saved only when the slots
changed.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from collections import Counter
from dataclasses import dataclass

from django.db import transaction

from booking_templates.models import BookingTemplate, TemplateSource
from booking_templates.solver import DEFAULT_SECONDS, DEFAULT_WORK, DayCapacity, solve_day_template
from chairs.models import Center
from scheduling import planner
from scheduling.models import Appointment
from scheduling.planner_input import planner_input_for

DEFAULT_WEEKS = 8
WEEKS_AHEAD = 2
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildResult:
    weekday: int
    template: BookingTemplate | None
    outcome: str  # "new version", "unchanged", "kept previous" (no solution in time), "no demand"


def build_center_templates(
    *,
    center: Center,
    today: dt.date,
    weeks: int = DEFAULT_WEEKS,
    declared_mix: dict[int, float] | None = None,
    work: float = DEFAULT_WORK,
    seconds: float = DEFAULT_SECONDS,
    workers: int = 1,
    created_by=None,
) -> list[BuildResult]:
    """Build (or keep) the template of every open weekday; ``declared_mix`` is chair minutes -> patients a day.

    ``work`` is the solver's deterministic time per weekday, ``seconds`` its wall-clock safety cap.
    """
    date_from = today - dt.timedelta(weeks=weeks)
    date_to = today + dt.timedelta(weeks=WEEKS_AHEAD)
    pin = planner_input_for(center=center, date_from=date_from, date_to=date_to)
    history = _history(center=center, rules=pin.rules, date_from=date_from, date_to=today - dt.timedelta(days=1))
    results = []
    for weekday in sorted(pin.rules.opening_hours):
        days = [d for d in _dates(date_from, date_to) if d.weekday() == weekday and d not in pin.rules.closures]
        capacity = _capacity(pin, days)
        if capacity is None:
            continue
        if declared_mix is not None:
            demand = {planner.duration_class(pin.rules, m): float(n) for m, n in declared_mix.items() if n > 0}
            source = TemplateSource.DECLARED
        else:
            past = [d for d in days if d < today]
            counts = history.get(weekday, Counter())
            demand = {minutes: count / len(past) for minutes, count in counts.items()} if past else {}
            source = TemplateSource.HISTORY
        results.append(
            _build_weekday(
                center=center,
                weekday=weekday,
                capacity=capacity,
                demand=demand,
                source=source,
                weeks=None if declared_mix is not None else weeks,
                work=work,
                seconds=seconds,
                workers=workers,
                created_by=created_by,
            )
        )
    return results


def _build_weekday(
    *, center, weekday, capacity, demand, source, weeks, work, seconds, workers, created_by
) -> BuildResult:
    previous = BookingTemplate.objects.filter(center=center, weekday=weekday).order_by("-version").first()
    if not demand:
        return BuildResult(weekday, previous, "no demand")
    solved = solve_day_template(capacity, demand, work=work, seconds=seconds, workers=workers)
    if solved is None:
        return BuildResult(weekday, previous, "kept previous")
    if not solved.is_reproducible:
        logger.warning(
            "Booking template of center %s, weekday %s: the %s s wall-clock cap stopped the solver before its "
            "deterministic limit, so a rebuild may differ (raise BOOKING_TEMPLATE_SECONDS or lower BOOKING_TEMPLATE_WORK)",
            center.pk,
            weekday,
            seconds,
        )
    slots = [list(s) for s in solved.slots]
    if previous is not None and previous.slots == slots:
        return BuildResult(weekday, previous, "unchanged")
    with transaction.atomic():
        version = (previous.version if previous else 0) + 1
        template = BookingTemplate.objects.create(
            center=center,
            weekday=weekday,
            version=version,
            source=source,
            weeks=weeks,
            demand={str(m): round(n, 2) for m, n in sorted(demand.items())},
            slots=slots,
            patients=solved.patients,
            solver_status=solved.status,
            created_by=created_by,
        )
    return BuildResult(weekday, template, "new version")


def _dates(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _history(*, center, rules, date_from, date_to) -> dict[int, Counter]:
    """Bookings per weekday and duration class between two local dates (cancelled ones left out)."""
    tz = rules.tzinfo
    lo = dt.datetime.combine(date_from, dt.time(0), tzinfo=tz)
    hi = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    counts: dict[int, Counter] = {}
    rows = (
        Appointment.objects.filter(center=center, status__in=Appointment.BLOCKING_STATUSES, start__gte=lo, start__lt=hi)
        .values_list("start", "end")
        .iterator()
    )
    for start, end in rows:
        weekday = start.astimezone(tz).weekday()
        minutes = planner.duration_class(rules, int((end - start).total_seconds() // 60))
        counts.setdefault(weekday, Counter())[minutes] += 1
    return counts


def _capacity(pin: planner.PlannerInput, days: list[dt.date]) -> DayCapacity | None:
    """The weekday's capacity: per grid slot, the median over ``days`` of what the nurses on shift allow."""
    rules = pin.rules
    hours = rules.opening_hours[days[0].weekday()] if days else None
    if hours is None:
        return None
    open_minute = hours[0].hour * 60 + hours[0].minute
    close_minute = hours[1].hour * 60 + hours[1].minute
    slots = len(range(open_minute, close_minute, rules.slot_minutes))
    if not slots:
        return None
    loads = [planner.day_load(pin, day) for day in days]
    # Daylight-saving days have another number of slots: they say nothing about an ordinary day.
    loads = [load for load in loads if len(load) == slots and any(s.nurses for s in load)]
    chairs = sum(1 for c in pin.chairs if c.is_active)
    if loads:
        watch = [int(statistics.median(day[i].watch_capacity for day in loads)) for i in range(slots)]
        starts = [int(statistics.median(day[i].start_capacity for day in loads)) for i in range(slots)]
    else:  # no shifts on record: enough nurses to watch every chair
        nurses = -(-chairs // rules.patients_per_nurse)
        watch = [nurses * rules.patients_per_nurse] * slots
        starts = [nurses * rules.starts_per_nurse_per_window] * slots
    return DayCapacity(
        open_minute=open_minute,
        close_minute=close_minute,
        slot_minutes=rules.slot_minutes,
        window_minutes=rules.start_window_minutes,
        chairs=chairs,
        watch_capacity=watch,
        start_capacity=starts,
    )
