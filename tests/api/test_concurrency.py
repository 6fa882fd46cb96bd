"""Parallel bookings: one chair is never double-booked and nurse capacity is never exceeded."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from scheduling.models import Appointment
from tests.api.conftest import at, booking, client_for
from tests.factories import ChairFactory, NurseShiftFactory, PatientFactory, ProtocolFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _post_all(bodies: list[dict], user) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(bodies))

    def post(body):
        client = client_for(user)
        try:
            barrier.wait(timeout=30)
            response = client.post("/api/v1/appointments/", body, format="json")
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(post, bodies))


@pytest.fixture
def staffed(center):
    nurse = UserFactory(role="nurse", center=center)
    NurseShiftFactory(center=center, nurse=nurse, start=at(7), end=at(19))
    return nurse


def test_twenty_parallel_bookings_of_one_chair_make_one_appointment(center, staffed):
    chair = ChairFactory(center=center, label="C01")
    protocol = ProtocolFactory()
    patients = PatientFactory.create_batch(20, center=center)
    results = _post_all([booking(p, protocol, chair, at(9)) for p in patients], staffed)
    statuses = sorted(code for code, _ in results)
    assert statuses == [201] + [409] * 19, results
    for code, body in results:
        if code == 409:
            assert body["code"] in ("chair_taken", "center_busy") or "chair_taken" in str(body)
    assert Appointment.objects.filter(chair=chair).count() == 1


def test_parallel_bookings_on_different_chairs_never_exceed_nurse_start_capacity(center, staffed):
    # One nurse: at most two starts per 30-minute window, whatever the chair.
    chairs = [ChairFactory(center=center, label=f"C{n:02d}") for n in range(6)]
    protocol = ProtocolFactory()
    patients = PatientFactory.create_batch(6, center=center)
    results = _post_all([booking(p, protocol, c, at(9)) for p, c in zip(patients, chairs, strict=True)], staffed)
    statuses = sorted(code for code, _ in results)
    assert statuses == [201, 201, 409, 409, 409, 409], results
    assert Appointment.objects.filter(start=at(9)).count() == 2
