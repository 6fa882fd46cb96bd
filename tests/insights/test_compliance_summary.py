"""Template compliance stored for past days, and kept exact when anything it was counted from changes.

On the hand-computed Monday of conftest.py, with a Monday template of one 60-minute start at 09:00
and one at 09:30: A (C1 09:00–10:00) fills the first, D and C (09:30–10:30) compete for the second,
so 2 of the day's 3 bookings (A, C, D; B was a no-show, E and F cancelled) are in template slots.
"""

from __future__ import annotations

import datetime as dt

import pytest

from booking_templates.models import BookingTemplate, TemplateSource
from booking_templates.selectors import DayCompliance
from chairs.models import Closure
from insights.compliance import day_compliance
from insights.models import StoredCompliance
from insights.period import Period
from scheduling.models import Appointment, AppointmentStatus
from tests.insights.conftest import MONDAY, NOW, at

pytestmark = pytest.mark.django_db


def template(center, slots, version=1):
    return BookingTemplate.objects.create(
        center=center, weekday=0, version=version, source=TemplateSource.DECLARED, slots=slots, patients=len(slots)
    )


@pytest.fixture
def templated(center, monday):
    template(center, [[9 * 60, 60, 1], [9 * 60 + 30, 60, 1]])
    return monday


def monday_compliance(center, now=NOW) -> DayCompliance:
    (day,) = day_compliance(period=Period(center=center, date_from=MONDAY, date_to=MONDAY, now=now))
    return day


def is_stored(center) -> bool:
    return StoredCompliance.objects.filter(center=center, day=MONDAY).exists()


def test_a_past_day_is_stored_once_and_read_back_as_counted_live(center, templated):
    live = monday_compliance(center, now=at(18))  # Monday is today: counted live, not stored
    assert live == DayCompliance(MONDAY, 2, 3) and not is_stored(center)
    assert monday_compliance(center) == live and is_stored(center)  # Tuesday: Monday is past, stored
    assert monday_compliance(center) == live  # read back


def test_a_late_edit_to_a_past_booking_updates_its_stored_compliance(center, templated):
    assert monday_compliance(center) == DayCompliance(MONDAY, 2, 3)
    # A entered as cancelled the next day, by a bulk update (no model save, no signal): the 09:00 start
    # is now unfilled, and one booking fewer counts.
    Appointment.objects.filter(pk=templated["A"].pk).update(status=AppointmentStatus.CANCELLED)
    assert not is_stored(center)
    assert monday_compliance(center) == DayCompliance(MONDAY, 1, 2)
    # Moved to 09:00 afterwards, D fills that start again.
    Appointment.objects.filter(pk=templated["D"].pk).update(start=at(9), end=at(10))
    assert monday_compliance(center) == DayCompliance(MONDAY, 2, 2)


def test_a_new_template_version_recounts_the_stored_days(center, templated):
    assert monday_compliance(center) == DayCompliance(MONDAY, 2, 3)
    template(center, [[9 * 60, 60, 1], [9 * 60 + 30, 60, 2]], version=2)
    assert not is_stored(center)
    assert monday_compliance(center) == DayCompliance(MONDAY, 3, 3)


def test_a_closure_added_afterwards_empties_the_day(center, templated):
    monday_compliance(center)
    Closure.objects.create(center=center, date=MONDAY, reason="Snow")
    assert monday_compliance(center) == DayCompliance(MONDAY, 0, 0)


def test_a_range_mixes_stored_past_days_and_today_counted_live(center, templated):
    tuesday = MONDAY + dt.timedelta(days=1)
    days = day_compliance(period=Period(center=center, date_from=MONDAY, date_to=tuesday, now=NOW))
    assert [d.day for d in days] == [MONDAY, tuesday]
    assert days[0] == DayCompliance(MONDAY, 2, 3)
    assert not StoredCompliance.objects.filter(center=center, day=tuesday).exists()  # today stays live
