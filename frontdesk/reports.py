"""Patient-flow figures: waits, on-time starts and actual versus scheduled chair time.

The state machine stamps arrival, chair start, infusion start, observation
start and discharge on every appointment; this module turns those stamps into
per-appointment rows and per-protocol summaries. The calculations are pure
functions of an appointment's fields; only :func:`flow_rows` and
:func:`noshow_counts` touch the database.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count

from chairs.models import Center
from chairs.selectors import day_bounds
from scheduling.models import Appointment, AppointmentStatus

# A start counts as on time when the patient is in the chair within this many minutes of the booked start.
ON_TIME_GRACE_MINUTES = 10


def _minutes(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 60)


@dataclass(frozen=True)
class AppointmentFlow:
    appointment: Appointment
    wait_minutes: int | None  # arrival → chair
    start_delay_minutes: int | None  # booked start → chair (negative = early)
    scheduled_minutes: int
    actual_minutes: int | None  # chair → discharge

    @property
    def is_on_time(self) -> bool | None:
        if self.start_delay_minutes is None:
            return None
        return self.start_delay_minutes <= ON_TIME_GRACE_MINUTES

    @property
    def overrun_minutes(self) -> int | None:
        if self.actual_minutes is None:
            return None
        return self.actual_minutes - self.scheduled_minutes


def appointment_flow(appointment: Appointment) -> AppointmentFlow:
    return AppointmentFlow(
        appointment=appointment,
        wait_minutes=_minutes(appointment.arrived_at, appointment.chair_start_at),
        start_delay_minutes=_minutes(appointment.start, appointment.chair_start_at),
        scheduled_minutes=_minutes(appointment.start, appointment.end) or 0,
        actual_minutes=_minutes(appointment.chair_start_at, appointment.discharged_at),
    )


@dataclass(frozen=True)
class ProtocolFlow:
    code: str
    name: str
    seen: int  # appointments where the patient reached a chair
    noshows: int
    median_wait: float | None
    mean_wait: float | None
    on_time_percent: float | None
    mean_scheduled: float | None
    mean_actual: float | None
    mean_overrun: float | None


def _mean(values: list[int]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def _median(values: list[int]) -> float | None:
    return round(float(statistics.median(values)), 1) if values else None


def _summarise(code: str, name: str, group: list[AppointmentFlow], noshows: int) -> ProtocolFlow:
    waits = [r.wait_minutes for r in group if r.wait_minutes is not None]
    on_time = [r.is_on_time for r in group if r.is_on_time is not None]
    finished = [r for r in group if r.actual_minutes is not None]
    return ProtocolFlow(
        code=code,
        name=name,
        seen=len(group),
        noshows=noshows,
        median_wait=_median(waits),
        mean_wait=_mean(waits),
        on_time_percent=round(100 * sum(on_time) / len(on_time), 1) if on_time else None,
        mean_scheduled=_mean([r.scheduled_minutes for r in finished]),
        mean_actual=_mean([r.actual_minutes for r in finished if r.actual_minutes is not None]),
        mean_overrun=_mean([r.overrun_minutes for r in finished if r.overrun_minutes is not None]),
    )


def protocol_summary(rows: list[AppointmentFlow], noshows: dict[str, int] | None = None) -> list[ProtocolFlow]:
    """One summary per protocol seen in ``rows`` (or with no-shows), ordered by protocol code."""
    noshows = noshows or {}
    grouped: dict[str, list[AppointmentFlow]] = defaultdict(list)
    names: dict[str, str] = {}
    for row in rows:
        grouped[row.appointment.protocol.code].append(row)
        names[row.appointment.protocol.code] = row.appointment.protocol.name
    return [
        _summarise(code, names.get(code, ""), grouped.get(code, []), noshows.get(code, 0))
        for code in sorted(set(grouped) | set(noshows))
    ]


def overall_summary(rows: list[AppointmentFlow], noshows: dict[str, int] | None = None) -> ProtocolFlow:
    """The same figures over every protocol together."""
    return _summarise("", "All protocols", rows, sum((noshows or {}).values()))


def _range(center: Center, date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return day_bounds(center=center, day=date_from, last_day=date_to)


def flow_rows(*, center: Center, date_from: dt.date, date_to: dt.date) -> list[AppointmentFlow]:
    """Every appointment of the center in the local date range where the patient reached a chair."""
    start, end = _range(center, date_from, date_to)
    appointments = (
        Appointment.objects.filter(center=center, start__gte=start, start__lt=end, chair_start_at__isnull=False)
        .exclude(status=AppointmentStatus.ENTERED_IN_ERROR)
        .select_related("patient", "protocol", "chair")
        .order_by("start", "chair__label")
    )
    return [appointment_flow(a) for a in appointments]


def noshow_counts(*, center: Center, date_from: dt.date, date_to: dt.date) -> dict[str, int]:
    start, end = _range(center, date_from, date_to)
    counts = (
        Appointment.objects.filter(center=center, start__gte=start, start__lt=end, status=AppointmentStatus.NOSHOW)
        .values("protocol__code")
        .annotate(n=Count("pk"))
    )
    return {row["protocol__code"]: row["n"] for row in counts}


def noshow_appointments(*, center: Center, date_from: dt.date, date_to: dt.date) -> list[Appointment]:
    """The center's no-shows in the local date range, for the staff's CSV."""
    start, end = _range(center, date_from, date_to)
    return list(
        Appointment.objects.filter(center=center, start__gte=start, start__lt=end, status=AppointmentStatus.NOSHOW)
        .select_related("patient", "protocol", "chair")
        .order_by("start", "chair__label")
    )
