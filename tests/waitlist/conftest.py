"""Waitlist fixtures: a one-chair center on a frozen Friday, a booked Monday, and patients who wait."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from chairs.models import NurseShift
from scheduling.services import book_appointment
from tests.factories import NEW_YORK, ChairFactory, PatientFactory, UserFactory
from tests.reminders.test_worker import broker, processes  # noqa: F401  (the real-worker fixtures, shared)
from waitlist import services
from waitlist.models import Release

FRIDAY = dt.date(2026, 12, 4)
MONDAY = dt.date(2026, 12, 7)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


@pytest.fixture
def clock():
    """Friday 4 December 2026, 10:00 in New York (the clock ticks)."""
    with time_machine.travel(at(FRIDAY, 10), tick=True) as traveller:
        yield traveller


@pytest.fixture
def one_chair(center, clock):
    """The center has one chair and two nurses on shift 07:00–19:00 for two weeks from Friday."""
    chair = ChairFactory(center=center, label="C01")
    for _ in range(2):
        nurse = UserFactory(role="nurse", center=center)
        for offset in range(14):
            day = FRIDAY + dt.timedelta(days=offset)
            NurseShift.objects.create(center=center, nurse=nurse, start=at(day, 7), end=at(day, 19))
    Release.objects.all().delete()  # the rota is the set-up here, not chair time freed
    return chair


@pytest.fixture
def booked(one_chair, protocol, nurse):
    """The chair is taken on Monday from 09:00 (a first dose: 250 minutes) by someone not waiting."""
    return book_appointment(
        actor=nurse, patient=PatientFactory(center=one_chair.center), protocol=protocol, chair=one_chair,
        start=at(MONDAY, 9), dose_number=1,
    )  # fmt: skip


@pytest.fixture
def wait(center, protocol, nurse):
    """Put a new patient on the waitlist for a first dose (Monday to the end of the label window)."""

    def _wait(latest: dt.date | None = None, **kwargs):
        patient = kwargs.pop("patient", None) or PatientFactory(center=center)
        return services.add_to_waitlist(
            actor=nurse,
            center=center,
            patient=patient,
            protocol=protocol,
            dose_number=kwargs.pop("dose_number", 1),
            channel=kwargs.pop("channel", "sms"),
            earliest=kwargs.pop("earliest", MONDAY),
            latest=latest,
            **kwargs,
        )

    return _wait
