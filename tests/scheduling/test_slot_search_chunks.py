"""Availability reads the range in chunks (the first day, then 8, 32… days), each narrowed to its own
days' bookings, and stops once later days cannot beat what it found. Whatever the center, that must
give exactly the answer of one planner search over the whole range loaded at once: the same
candidates in the same order, and a report for the same days examined.

Centers are generated from fixed seeds: split and odd opening hours, closures, beds and features,
chairs out of service, nurses on part of the day, bookings and blocks (some across midnight, some
cancelled), a booking template or an add-on reserve on some; every query mixes protocols, doses,
preferences, limits and ranges up to 45 days across the fall-back day.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine

from booking_templates.models import BookingTemplate
from chairs.models import Center, Chair, ChairBlock, Closure, NurseShift, OpeningHours
from patients.models import Patient
from scheduling.models import Appointment
from scheduling.planner_input import planner_input_for
from scheduling.slot_search import find_candidates
from tests.factories import NEW_YORK, ProtocolFactory, UserFactory

pytestmark = pytest.mark.django_db

FIRST_DAYS = [dt.date(2026, 12, 7), dt.date(2026, 10, 26)]  # an ordinary week; the fall-back week
NOW = dt.datetime(2026, 10, 20, 9, 7, tzinfo=NEW_YORK)
PROTOCOLS = [  # code, first / later infusion minutes, required kind, required features
    ("short", 30, 20, "", []),
    ("ocr", 150, 210, "", []),
    ("long", 300, 240, "", ["pump"]),
    ("bed", 90, 60, "bed", []),
]


def _local(day: dt.date, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=NEW_YORK) + dt.timedelta(minutes=minute)


def _build_center(rng: random.Random, first: dt.date, days: int) -> tuple[Center, list[Appointment]]:
    center = Center.objects.create(
        name=f"Generated {rng.random()}",
        timezone="America/New_York",
        slot_minutes=rng.choice([15, 30]),
        patients_per_nurse=rng.choice([2, 3, 4]),
        starts_per_nurse_per_window=rng.choice([1, 2]),
        start_window_minutes=30,
    )
    if rng.random() < 0.3:  # chair-hours held back for same-day add-ons (never released: NOW is earlier)
        center.addon_reserve_chair_hours = [rng.choice([0, 1, 3]) for _ in range(7)]
        center.save()
    for weekday in range(7):
        if weekday < 5 or rng.random() < 0.3:
            opens, closes = rng.choice([(7, 19), (8, 17), (6, 20), (9, 15)])
            split = rng.random() < 0.25
            OpeningHours.objects.create(
                center=center,
                weekday=weekday,
                opens=dt.time(opens),
                closes=dt.time(closes),
                break_starts=dt.time(12) if split else None,
                break_ends=dt.time(13) if split else None,
            )
    span = [first + dt.timedelta(days=n) for n in range(days + 1)]
    for day in rng.sample(span, k=rng.randint(0, 2)):
        Closure.objects.create(center=center, date=day, reason="Holiday")
    chairs = Chair.objects.bulk_create(
        Chair(
            center=center,
            label=f"{'B' if n % 4 == 3 else 'C'}{n:02d}",
            kind="bed" if n % 4 == 3 else "chair",
            features=sorted(rng.sample(["pump", "recliner", "window"], k=rng.randint(0, 2))),
            is_active=rng.random() > 0.1,
            position=rng.randint(0, 3),
        )
        for n in range(rng.randint(2, 9))
    )
    nurses = [UserFactory(username=f"gen.{center.pk}.{n}") for n in range(rng.randint(1, 3))]
    shifts = []
    for day in span:
        for nurse in nurses:
            if rng.random() < 0.85:
                begins = rng.choice([6 * 60, 7 * 60, 9 * 60 + 30])
                shifts.append(
                    NurseShift(
                        center=center,
                        nurse=nurse,
                        start=_local(day, begins),
                        end=_local(day, begins + rng.choice([6, 8, 10]) * 60),
                    )
                )
    NurseShift.objects.bulk_create(shifts)
    patient = Patient.objects.create(
        center=center, mrn=f"G{center.pk}", first_name="G", last_name="G", date_of_birth=dt.date(1970, 1, 1)
    )
    protocol = ProtocolFactory()
    rows = []
    fill = rng.uniform(0.2, 0.9)
    for day in [first - dt.timedelta(days=1), *span]:
        for chair in chairs:
            minute = 6 * 60
            if rng.random() < 0.1:  # an evening booking running past midnight into the day
                rows.append((chair, _local(day, -90), _local(day, 6 * 60 + 45), "booked"))
                minute = 7 * 60
            while minute < 20 * 60:
                length = rng.choice([45, 60, 90, 120, 135, 240])
                if minute + length > 22 * 60:  # the next evening's booking may begin at 22:30
                    break
                if rng.random() < fill:
                    status = "cancelled" if rng.random() < 0.1 else "booked"
                    rows.append((chair, _local(day, minute), _local(day, minute + length), status))
                minute += length + rng.choice([0, 0, 15, 30, 75])
    booked = Appointment.objects.bulk_create(
        Appointment(
            center=center,
            patient=patient,
            protocol=protocol,
            chair=chair,
            start=start,
            end=end,
            dose_number=3,
            status=status,
        )
        for chair, start, end, status in rows
    )
    blocks = []
    for _ in range(rng.randint(0, 4)):
        day = rng.choice(span)
        begins = _local(day, rng.randint(6, 16) * 60)
        blocks.append(
            ChairBlock(chair=rng.choice(chairs), start=begins, end=begins + dt.timedelta(hours=rng.choice([2, 30])))
        )
    ChairBlock.objects.bulk_create(blocks)
    if rng.random() < 0.35:
        for weekday in range(5):
            slots = [[minute, rng.choice([60, 120, 240]), rng.randint(1, 2)] for minute in (480, 600, 780)]
            BookingTemplate.objects.create(center=center, weekday=weekday, version=1, source="manual", slots=slots)
    return center, [a for a in booked if a.status == "booked"]


def _protocols():
    return [
        ProtocolFactory(
            code=code,
            name=code,
            first_dose_infusion_minutes=first,
            later_dose_infusion_minutes=later,
            premedication_minutes=0,
            observation_minutes=15,
            setup_minutes=10,
            required_chair_kind=kind,
            required_features=features,
        )
        for code, first, later, kind, features in PROTOCOLS
    ]


@pytest.mark.parametrize("seed", range(10))
def test_chunked_availability_is_the_whole_range_search(seed):
    rng = random.Random(seed)
    first = rng.choice(FIRST_DAYS)
    with time_machine.travel(NOW, tick=False):
        center, booked = _build_center(rng, first, days=45)
        protocols = _protocols()
        for _ in range(12):
            date_from = first + dt.timedelta(days=rng.randint(0, 3))
            date_to = date_from + dt.timedelta(days=rng.choice([0, 1, 6, 13, 40]))
            weekdays = frozenset(rng.sample(range(7), k=rng.randint(1, 3))) if rng.random() < 0.4 else None
            query = dict(
                center=center,
                protocol=rng.choice(protocols),
                dose_number=rng.choice([1, 3]),
                date_from=date_from,
                date_to=date_to,
                time_of_day=rng.choice(["any", "morning", "afternoon"]),
                weekdays=weekdays,
                exclude_appointment_id=rng.choice(booked).pk if booked and rng.random() < 0.3 else None,
                limit=rng.choice([1, 3, 10, 25]),
                # Mostly before the range; sometimes during its first day (earlier starts are never offered).
                now=rng.choice([NOW, _local(date_from, rng.randint(8, 14) * 60 + 7)]),
            )
            whole = planner_input_for(center=center, date_from=date_from, date_to=date_to)
            expected = find_candidates(**query, planner_input=whole)
            assert find_candidates(**query) == expected, query
