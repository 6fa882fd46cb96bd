"""Concurrent writes onto one slot: exactly one wins, every other gets a refusal naming chair and time, never a 500.

These tests open real concurrent connections (``RACE_CONNECTIONS``, 20 by default: the machine's server is
shared; ``test_races_on_embedded_postgres.py`` runs them again with 50 on the embedded PostgreSQL 18).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from scheduling import services
from scheduling.errors import BookingRefused, CenterBusy, SlotTaken
from scheduling.locking import refusing_races
from scheduling.models import Appointment
from tests.api.conftest import DAY, at, client_for
from tests.factories import (
    AppointmentFactory,
    ChairFactory,
    NurseShiftFactory,
    PatientFactory,
    ProtocolFactory,
    UserFactory,
)
from treatment.models import Order
from treatment.series import SeriesRefused, book_series

pytestmark = pytest.mark.django_db(transaction=True)

CONNECTIONS = int(os.environ.get("RACE_CONNECTIONS", "20"))


def _in_parallel(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released together; each closes its own connection."""
    barrier = threading.Barrier(count)

    def run(index):
        try:
            barrier.wait(timeout=60)
            return work(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture
def staffed(center):
    nurses = [UserFactory(role="nurse", center=center) for _ in range(3)]
    for nurse in nurses:
        NurseShiftFactory(center=center, nurse=nurse, start=at(7), end=at(19))
    return nurses[0]


@pytest.fixture
def spread(center, staffed):
    """CONNECTIONS booked appointments, each on its own chair, and one free chair they all want."""
    protocol = ProtocolFactory()
    chairs = [ChairFactory(center=center, label=f"S{n:02d}") for n in range(CONNECTIONS)]
    appointments = [AppointmentFactory(center=center, chair=c, protocol=protocol, start=at(7)) for c in chairs]
    target = ChairFactory(center=center, label="T01")
    return appointments, target


def test_parallel_raw_writes_onto_one_chair_leave_one_row_and_name_the_chair(center, protocol):
    """Writers that skip the lock still collide on the exclusion constraint (23P01, or 40P01 on PostgreSQL 18)."""
    chair = ChairFactory(center=center, label="R01")
    patients = [PatientFactory(center=center) for _ in range(CONNECTIONS)]

    def write(index):
        start, end = at(9), at(11)
        try:
            with refusing_races(chair=chair, start=start, end=end, tzinfo=center.tzinfo):
                Appointment.objects.create(
                    center=center, chair=chair, patient=patients[index], protocol=protocol, start=start, end=end
                )
        except SlotTaken as refusal:
            return refusal.message
        return "booked"

    outcomes = _in_parallel(CONNECTIONS, write)
    assert outcomes.count("booked") == 1, outcomes
    refusals = [o for o in outcomes if o != "booked"]
    assert all("R01" in message and "09:00–11:00" in message for message in refusals), refusals
    assert Appointment.objects.filter(chair=chair).count() == 1


def test_parallel_api_moves_onto_one_free_slot_make_one_move(spread, staffed):
    appointments, target = spread

    def move(index):
        response = client_for(staffed).post(
            f"/api/v1/appointments/{appointments[index].pk}/reschedule/",
            {"chair": target.pk, "start": at(13).isoformat()},
            format="json",
        )
        return response.status_code, response.json()

    results = _in_parallel(CONNECTIONS, move)
    codes = sorted(code for code, _ in results)
    assert codes == [200] + [409] * (CONNECTIONS - 1), results
    assert Appointment.objects.filter(chair=target).count() == 1


def test_parallel_admin_moves_onto_one_free_slot_make_one_move_and_form_errors(spread, center):
    appointments, target = spread
    boss = UserFactory(role="center_admin", center=center, is_staff=True)
    clients = []
    for _ in range(10):
        client = Client()
        client.force_login(boss)
        clients.append(client)

    def move(index):
        response = clients[index].post(
            f"/admin/scheduling/appointment/{appointments[index].pk}/change/",
            {"chair": target.pk, "start_0": DAY.isoformat(), "start_1": "13:00:00", "notes": ""},
        )
        return response.status_code, "errornote" in response.content.decode()

    results = _in_parallel(10, move)
    assert sorted(results) == [(200, True)] * 9 + [(302, False)], results
    assert Appointment.objects.filter(chair=target).count() == 1


def test_parallel_seating_on_one_other_chair_seats_one(center, staffed):
    for _ in range(CONNECTIONS // 2):  # enough nurses to watch and start everyone booked at 10:00
        NurseShiftFactory(center=center, nurse=UserFactory(role="nurse", center=center), start=at(7), end=at(19))
    protocol = ProtocolFactory()
    target = ChairFactory(center=center, label="T02")
    arrived = [
        AppointmentFactory(
            center=center,
            chair=ChairFactory(center=center, label=f"A{n:02d}"),
            protocol=protocol,
            start=at(10),
            status="arrived",
        )
        for n in range(CONNECTIONS)
    ]

    def seat(index):
        try:
            services.transition(actor=staffed, appointment=arrived[index], action="seat", chair=target)
        except (BookingRefused, CenterBusy) as refusal:
            return refusal.code
        return "seated"

    outcomes = _in_parallel(CONNECTIONS, seat)
    assert outcomes.count("seated") == 1, outcomes
    assert Appointment.objects.filter(chair=target).count() == 1


def test_parallel_series_for_one_slot_book_one(center, staffed):
    """Series booking (all or nothing) under the same locks: one series gets the slot, the others are refused."""
    protocol = ProtocolFactory()
    chair = ChairFactory(center=center, label="T03")
    orders = []
    for _ in range(CONNECTIONS):
        patient = PatientFactory(center=center)
        orders.append(
            Order.objects.create(
                patient=patient, protocol=protocol, ordering_provider="Dr. Test", dose_count=2, start_date=DAY
            )
        )
    second = DAY + dt.timedelta(days=protocol.interval_days)  # the second dose when it is due (dose spacing)
    NurseShiftFactory(center=center, nurse=staffed, start=at(7, day=second), end=at(19, day=second))

    def book(index):
        try:
            book_series(
                actor=staffed,
                order=orders[index],
                doses=[(1, chair.pk, at(9)), (2, chair.pk, at(9, day=second))],
            )
        except (SeriesRefused, BookingRefused, CenterBusy) as refusal:
            return refusal.code
        return "booked"

    outcomes = _in_parallel(CONNECTIONS, book)
    assert outcomes.count("booked") == 1, outcomes
    assert Appointment.objects.filter(chair=chair).count() == 2
