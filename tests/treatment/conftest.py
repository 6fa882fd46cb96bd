"""Fixtures for treatment plans: the real protocol library and a patient with an order."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from scheduling.models import Protocol
from scheduling.protocol_library import seed_protocols
from tests.factories import NEW_YORK
from treatment.models import AuthorizationStatus, Order, PriorAuthorization

TODAY = dt.date(2026, 12, 1)  # a Tuesday; the tests' "today"


@pytest.fixture(autouse=True)
def the_tests_today():
    """Every treatment test runs on TODAY at 10:00 in New York, the clock ticking: the pages count days in the
    center's zone, the tests in the machine's, and between 19:00 and midnight in New York the two dates differ
    (an authorization "in 30 days" read as 31). Found by a run at 00:10 UTC."""
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(10), tzinfo=NEW_YORK), tick=True):
        yield


@pytest.fixture(autouse=True)
def order_requirement(settings):
    """Here booking needs a valid doctor's order, as in production."""
    settings.BOOKING_REQUIRES_ORDER = True


@pytest.fixture
def library(db):
    seed_protocols()
    return {p.code: p for p in Protocol.objects.all()}


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


def make_order(
    patient,
    protocol,
    *,
    start=dt.date(2026, 11, 1),
    until=dt.date(2027, 11, 1),
    doses=None,
    first=1,
    auth=AuthorizationStatus.APPROVED,
    visits=None,
    auth_from=None,
    auth_until=None,
):
    order = Order.objects.create(
        patient=patient,
        protocol=protocol,
        ordering_provider="Dr. Alvarez",
        start_date=start,
        valid_until=until,
        dose_count=doses,
        first_dose_number=first,
    )
    if auth:
        PriorAuthorization.objects.create(
            patient=patient,
            order=order,
            payer="Blue Cross",
            reference_number="PA-1",
            status=auth,
            approved_from=auth_from or start if auth == AuthorizationStatus.APPROVED else None,
            approved_until=auth_until or until if auth == AuthorizationStatus.APPROVED else None,
            approved_visits=visits,
        )
    return order


def monday_in(weeks: int) -> dt.date:
    today = dt.date.today()
    return today + dt.timedelta(days=7 * weeks - today.weekday())


@pytest.fixture
def staffed(center):
    """Three chairs and two nurses on shift 07:00–19:00 every weekday for the next 60 weeks."""
    from chairs.models import NurseShift
    from tests.factories import ChairFactory, UserFactory

    chairs = [ChairFactory(center=center, label=f"C0{n}") for n in range(1, 4)]
    nurses = [UserFactory(role="nurse", center=center) for _ in range(2)]
    first = dt.date.today() - dt.timedelta(days=7)
    shifts = [
        NurseShift(
            center=center,
            nurse=nurse,
            start=at(first + dt.timedelta(days=d), 7),
            end=at(first + dt.timedelta(days=d), 19),
        )
        for d in range(7 * 62)
        if (first + dt.timedelta(days=d)).weekday() < 5
        for nurse in nurses
    ]
    NurseShift.objects.bulk_create(shifts)
    center.test_chairs = chairs
    return center
