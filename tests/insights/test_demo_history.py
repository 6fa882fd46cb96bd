"""The demo history: played-through weeks that give every insight something to show, added once."""

from __future__ import annotations

import datetime as dt

import pytest

from insights import selectors
from insights.demo_history import seed_demo_history
from insights.period import Period
from insights.treatment_delays import time_to_treatment
from scheduling.demo import seed_demo
from scheduling.models import Appointment, AppointmentStatus
from tests.insights.conftest import NOW

pytestmark = pytest.mark.django_db


def test_demo_history_is_idempotent_and_feeds_every_insight():
    today = NOW.date()
    seed_demo(today=today, with_appointments=False, patients=60)
    first = seed_demo_history(today=today, weeks=2, per_day=16)
    assert first.appointments >= 150
    count = Appointment.objects.count()
    again = seed_demo_history(today=today, weeks=2, per_day=16)
    assert (again.appointments, Appointment.objects.count()) == (0, count)

    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {AppointmentStatus.FULFILLED, AppointmentStatus.NOSHOW, AppointmentStatus.CANCELLED} <= statuses
    for visit in Appointment.objects.filter(status=AppointmentStatus.FULFILLED)[:200]:
        assert visit.arrived_at <= visit.chair_start_at < visit.infusion_start_at < visit.discharged_at
    durations = {
        (a.discharged_at - a.chair_start_at) - (a.end - a.start) for a in Appointment.objects.filter(status="fulfilled")
    }
    assert len(durations) > 10  # actual chair times differ from the booked ones

    center = Appointment.objects.first().center
    monday = today - dt.timedelta(days=today.weekday())
    period = Period(
        center=center, date_from=monday - dt.timedelta(weeks=2), date_to=monday - dt.timedelta(days=1), now=NOW
    )
    assert any(r["actual"] for r in selectors.utilization(period=period))
    assert any(r["actual"] for r in selectors.nurse_load(period=period)["slots"])
    assert selectors.waits(period=period)["overall"][0]["median_wait"] > 0
    assert next(r for r in selectors.noshows(period=period) if r["part"] == "all")["noshows"] > 0
    assert selectors.chair_minutes(period=period)
    delays = time_to_treatment(
        period=Period(center=center, date_from=monday - dt.timedelta(weeks=8), date_to=monday, now=NOW)
    )
    assert delays["orders"] and delays["authorizations"]
    assert any(r["median_days"] for r in delays["authorizations"])
