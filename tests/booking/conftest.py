"""A staffed center for the booking pages: chairs, a bed, nurses on shift on a future Monday."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling.protocol_library import seed_protocols
from tests.factories import NEW_YORK, ChairFactory, NurseShiftFactory, UserFactory


def next_monday(weeks_ahead: int = 1) -> dt.date:
    today = dt.date.today()
    return today + dt.timedelta(days=7 * weeks_ahead - today.weekday())


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


@pytest.fixture
def monday() -> dt.date:
    return next_monday()


@pytest.fixture
def staffed_center(center, monday):
    """Center with chairs C01–C04 and bed B1, two nurses on shift 07:00–19:00 all week."""
    chairs = [ChairFactory(center=center, label=f"C0{n}") for n in range(1, 5)]
    chairs.append(ChairFactory(center=center, label="B1", kind="bed", features=["pump", "near_station"]))
    for _ in range(2):
        nurse = UserFactory(role="nurse", center=center)
        for offset in range(5):
            day = monday + dt.timedelta(days=offset)
            NurseShiftFactory(center=center, nurse=nurse, start=at(day, 7), end=at(day, 19))
    center.test_chairs = chairs
    return center


@pytest.fixture
def protocols(db):
    seed_protocols()
    from scheduling.models import Protocol

    return {p.code: p for p in Protocol.objects.all()}
