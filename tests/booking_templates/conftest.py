from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import NEW_YORK, AppointmentFactory, ChairFactory, NurseShiftFactory, UserFactory

TODAY = dt.date(2026, 12, 2)  # a Wednesday
PAST_MONDAYS = [dt.date(2026, 11, 30) - dt.timedelta(weeks=n) for n in range(4)]


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


@pytest.fixture
def template_center(center, protocol):
    """Four chairs, one nurse every weekday 07:00–19:00 for six weeks; two ocrelizumab visits each past Monday."""
    chairs = [ChairFactory(center=center, label=f"C0{n}") for n in range(1, 5)]
    nurse = UserFactory(role="nurse", center=center)
    day = TODAY - dt.timedelta(weeks=4)
    while day <= TODAY + dt.timedelta(weeks=2):
        if day.weekday() < 5:
            NurseShiftFactory(center=center, nurse=nurse, start=at(day, 7), end=at(day, 19))
        day += dt.timedelta(days=1)
    for monday in PAST_MONDAYS:
        for n, hour in enumerate((8, 9)):
            AppointmentFactory(center=center, protocol=protocol, chair=chairs[n], start=at(monday, hour))
    center.test_chairs = chairs
    return center
