"""A hand-computed Monday (7 December 2026, America/New_York) at a center with two chairs and a bed.

Booked and actual times (local), chosen so every figure can be worked out on paper:

    A  chair C1  09:00–10:00  arrived 08:55, chair 09:10, infusion 09:20, discharged 10:20  (confirmed)
    B  chair C2  09:00–09:30  no-show (reminder delivered, no reply)
    D  chair C2  09:30–10:30  arrived 09:20, chair 09:25, infusion 09:28, discharged 10:40
    C  bed B1    09:30–10:30  arrived 09:40, chair 09:45, infusion 09:50, discharged 10:30
    E  chair C1  11:00–12:00  cancelled by the patient at 09:00 (2 h before; after a reminder)
    F  chair C1  13:00–14:00  cancelled three days before (not due)

One nurse on shift 07:00–19:00; the center lets a nurse watch 2 patients and start 1 infusion per
30-minute window. The clock is frozen on Tuesday 8 December at 12:00.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from reminders.models import Reminder
from scheduling.models import Appointment, AppointmentStatus
from tests.factories import NEW_YORK, AppointmentFactory, ChairFactory, NurseShiftFactory, PatientFactory

MONDAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 8, 12, 0, tzinfo=NEW_YORK)


def at(hour: int, minute: int = 0, day: dt.date = MONDAY, tz=NEW_YORK) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def visit(*, center, chair, protocol, start, end, arrived=None, seated=None, infusing=None, discharged=None, **extra):
    status = AppointmentStatus.FULFILLED if discharged else extra.pop("status", AppointmentStatus.BOOKED)
    appointment = AppointmentFactory(
        center=center,
        chair=chair,
        protocol=protocol,
        patient=extra.pop("patient", None) or PatientFactory(center=center),
        start=start,
        end=end,
        status=status,
        arrived_at=arrived,
        chair_start_at=seated,
        infusion_start_at=infusing,
        discharged_at=discharged,
        **extra,
    )
    # Booked a week ahead (created_at is stamped on insert).
    Appointment.objects.filter(pk=appointment.pk).update(created_at=start - dt.timedelta(days=6))
    return appointment


@pytest.fixture
def monday(center, protocol):
    return build_monday(center, protocol)


def build_monday(center, protocol) -> dict:
    """The day described in this module's docstring."""
    center.patients_per_nurse = 2
    center.starts_per_nurse_per_window = 1
    center.save()
    c1 = ChairFactory(center=center, label="C1")
    c2 = ChairFactory(center=center, label="C2")
    b1 = ChairFactory(center=center, label="B1", kind="bed")
    NurseShiftFactory(center=center, start=at(7), end=at(19))
    a = visit(
        center=center,
        chair=c1,
        protocol=protocol,
        start=at(9),
        end=at(10),
        arrived=at(8, 55),
        seated=at(9, 10),
        infusing=at(9, 20),
        discharged=at(10, 20),
        confirmed_at=at(9) - dt.timedelta(days=1),
    )
    b = visit(center=center, chair=c2, protocol=protocol, start=at(9), end=at(9, 30), status=AppointmentStatus.NOSHOW)
    d = visit(
        center=center,
        chair=c2,
        protocol=protocol,
        start=at(9, 30),
        end=at(10, 30),
        arrived=at(9, 20),
        seated=at(9, 25),
        infusing=at(9, 28),
        discharged=at(10, 40),
    )
    c = visit(
        center=center,
        chair=b1,
        protocol=protocol,
        start=at(9, 30),
        end=at(10, 30),
        arrived=at(9, 40),
        seated=at(9, 45),
        infusing=at(9, 50),
        discharged=at(10, 30),
    )
    e = visit(
        center=center,
        chair=c1,
        protocol=protocol,
        start=at(11),
        end=at(12),
        status=AppointmentStatus.CANCELLED,
        cancelled_by="patient",
        cancelled_at=at(9),
    )
    f = visit(
        center=center,
        chair=c1,
        protocol=protocol,
        start=at(13),
        end=at(14),
        status=AppointmentStatus.CANCELLED,
        cancelled_by="patient",
        cancelled_at=at(13) - dt.timedelta(days=3),
    )
    for appointment in (b, e):
        Reminder.objects.create(
            appointment=appointment,
            patient=appointment.patient,
            center=center,
            kind="24h",
            offset_hours=24,
            channel="sms",
            status="delivered",
            due_at=appointment.start - dt.timedelta(days=1),
            planned_for=appointment.start,
        )
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "chairs": (c1, c2, b1)}
