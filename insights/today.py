"""8. Today, for the charge nurse: chairs in use now, who is waiting and for how long, the starts due
in the next hour against the nurses on shift, doses not ready, and late arrivals.

Reads the front desk's day (``frontdesk.selectors``) and the readiness checks; a handful of queries whatever the size of the day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q

from chairs.models import Chair, NurseShift
from frontdesk import selectors as flow
from insights.tables import Table
from scheduling.models import Appointment, AppointmentStatus
from treatment.readiness import readiness_for

NEXT_HOUR = dt.timedelta(hours=1)


@dataclass
class Today:
    now: dt.datetime
    chairs: int
    in_use: int
    waiting: list = field(default_factory=list)
    starts_due: int = 0
    nurses_now: int = 0
    start_capacity: int = 0
    not_ready: list = field(default_factory=list)
    late: list = field(default_factory=list)

    @property
    def in_use_percent(self) -> float:
        return round(100 * self.in_use / self.chairs, 1) if self.chairs else 0.0

    @property
    def longest_wait(self) -> int:
        return max((w.waited_minutes for w in self.waiting), default=0)

    @property
    def is_over_start_capacity(self) -> bool:
        return self.starts_due > self.start_capacity


def today_for(*, center, now: dt.datetime) -> Today:
    day = flow.local_today(center=center, now=now)
    chairs = Chair.objects.filter(center=center, is_active=True).count()
    in_use = (
        Appointment.objects.filter(center=center, status=AppointmentStatus.CHECKED_IN).exclude(chair_stage="").count()
    )
    waiting = flow.waiting_room(center=center, now=now)
    # Every figure below reads only the day's patients not yet seated; each row carries its patient and
    # protocol (the tables name them) and the center already in hand (readiness reads its zone).
    pending = list(
        flow.appointments_on(center=center, day=day)
        .filter(status__in=flow.NOT_SEATED)
        .select_related(None)
        .select_related("patient", "protocol")
    )
    for appointment in pending:
        appointment.center = center
    starts_due = sum(1 for a in pending if now <= a.start < now + NEXT_HOUR)
    nurses_now = NurseShift.objects.filter(Q(center=center) & Q(start__lte=now) & Q(end__gt=now)).count()
    windows_next_hour = max(1, NEXT_HOUR // dt.timedelta(minutes=center.start_window_minutes))
    readiness = readiness_for(pending, today=day)
    not_ready = [(a, readiness[a.pk]) for a in pending if not readiness[a.pk].ready]
    late = [
        a
        for a in pending
        if a.status in (AppointmentStatus.BOOKED, AppointmentStatus.PENDING) and a.start < now and a.arrived_at is None
    ]
    return Today(
        now=now,
        chairs=chairs,
        in_use=in_use,
        waiting=waiting,
        starts_due=starts_due,
        nurses_now=nurses_now,
        start_capacity=nurses_now * center.starts_per_nurse_per_window * windows_next_hour,
        not_ready=not_ready,
        late=late,
    )


def today_tables(today: Today, *, tz) -> list[Table]:
    summary = Table(
        "Today at a glance",
        ["Figure", "Value"],
        [
            ["Chairs in use now", today.in_use],
            ["Chairs available", today.chairs],
            ["Patients waiting", len(today.waiting)],
            ["Longest wait (min)", today.longest_wait],
            ["Starts due in the next hour", today.starts_due],
            ["Nurses on shift now", today.nurses_now],
            ["Start capacity in the next hour", today.start_capacity],
            ["Doses not ready today", len(today.not_ready)],
            ["Late arrivals (not here after their start)", len(today.late)],
        ],
    )
    waiting = Table(
        "Waiting now",
        ["Patient", "Protocol", "Booked", "Waited (min)"],
        [
            [
                w.appointment.patient.full_name,
                w.appointment.protocol.code.upper(),
                f"{w.appointment.start.astimezone(tz):%H:%M}",
                w.waited_minutes,
            ]
            for w in today.waiting
        ],
    )
    not_ready = Table(
        "Doses not ready today",
        ["Patient", "Protocol", "Booked", "Missing"],
        [
            [
                a.patient.full_name,
                a.protocol.code.upper(),
                f"{a.start.astimezone(tz):%H:%M}",
                "; ".join(i.message for i in r.missing),
            ]
            for a, r in today.not_ready
        ],
    )
    late = Table(
        "Late arrivals",
        ["Patient", "Protocol", "Booked", "Late by (min)"],
        [
            [
                a.patient.full_name,
                a.protocol.code.upper(),
                f"{a.start.astimezone(tz):%H:%M}",
                int((today.now - a.start).total_seconds() // 60),
            ]
            for a in today.late
        ],
    )
    return [summary, waiting, not_ready, late]
