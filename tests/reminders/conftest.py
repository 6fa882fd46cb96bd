"""Reminders: a staffed center two weeks ahead, a consenting patient, and a booking helper."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling.services import book_appointment
from tests.factories import NEW_YORK, NurseShiftFactory, UserFactory


def future_monday(weeks_ahead: int = 2) -> dt.date:
    today = dt.date.today()
    return today + dt.timedelta(days=7 * weeks_ahead - today.weekday())


def at(day: dt.date, hour: int, minute: int = 0, tz=NEW_YORK) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


@pytest.fixture
def monday() -> dt.date:
    return future_monday()


@pytest.fixture
def staffed(center, chair, monday):
    """Two nurses on shift 07:00–19:00 Monday to Friday of the booking week."""
    for _ in range(2):
        nurse = UserFactory(role="nurse", center=center)
        for offset in range(5):
            day = monday + dt.timedelta(days=offset)
            NurseShiftFactory(center=center, nurse=nurse, start=at(day, 7), end=at(day, 19))
    return center


@pytest.fixture
def book(staffed, chair, protocol, nurse):
    """Book through the real booking service (so the reminders hook runs in its transaction)."""

    def _book(patient, start: dt.datetime, *, chair_=None, protocol_=None):
        return book_appointment(
            actor=nurse, patient=patient, protocol=protocol_ or protocol, chair=chair_ or chair, start=start
        )

    return _book


@pytest.fixture
def booked(book, patient, monday):
    """The fixture patient (SMS, consenting) booked Monday 09:00 New York time."""
    return book(patient, at(monday, 9))
