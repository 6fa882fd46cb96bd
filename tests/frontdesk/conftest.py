"""Fixtures for the front-desk tests: a fixed clock on a staffed Monday, and today's appointments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import NEW_YORK, AppointmentFactory, NurseShiftFactory

MONDAY = dt.date(2026, 12, 7)


def at(hour: int, minute: int = 0) -> dt.datetime:
    """A moment on the test Monday, in the center's time zone (America/New_York)."""
    return dt.datetime(2026, 12, 7, hour, minute, tzinfo=NEW_YORK)


class Clock:
    def __init__(self, monkeypatch) -> None:
        self._monkeypatch = monkeypatch

    def set(self, moment: dt.datetime) -> None:
        self._monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture(autouse=True)
def long_sessions(settings):
    # The fixed clock jumps hours within one test; the 15-minute idle logoff is tested elsewhere.
    settings.SESSION_COOKIE_AGE = 24 * 3600


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Pin "now" (every timezone.now() call) to 09:00 on the test Monday; move it with clock.set().

    Autouse, so that logins (whose sessions expire after 15 idle minutes) happen on the same clock.
    """
    clock = Clock(monkeypatch)
    clock.set(at(9))
    return clock


@pytest.fixture
def staffed(center, nurse):
    """The center has two nurses on shift all day Monday."""
    NurseShiftFactory(center=center, nurse=nurse, start=at(7), end=at(19))
    NurseShiftFactory(center=center, start=at(7), end=at(19))
    return center


@pytest.fixture
def booked(center, chair, patient, protocol):
    """A dose-3 ocrelizumab appointment (300 min of chair time) at 09:00 on chair C01."""
    return AppointmentFactory(center=center, chair=chair, patient=patient, protocol=protocol, start=at(9))
