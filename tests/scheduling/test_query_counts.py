"""Query budgets (issue 14): a booking, an availability request and the chair board cost a fixed, small
number of SQL queries whatever the size of the center or the length of the range. Counts, not timings."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.api.conftest import DAY, at, booking, client_for
from tests.factories import (
    AppointmentFactory,
    ChairBlockFactory,
    ChairFactory,
    NurseShiftFactory,
    PatientFactory,
    UserFactory,
)
from tests.treatment.conftest import make_order

pytestmark = pytest.mark.django_db

# Issue 14's target: 12 (BEGIN and COMMIT included). The center's protocol settings, the regimen rows and
# whether the center has webhook subscriptions are cached; the patient's weight and reactions are one read.
BOOKING_QUERIES = 12
AVAILABILITY_QUERIES = 6
BOARD_QUERIES = 12


@pytest.fixture(autouse=True)
def clock():
    """The week before DAY: every booking is in the future whatever today is."""
    with time_machine.travel(dt.datetime.combine(DAY - dt.timedelta(days=7), dt.time(8), tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def busy_center(center, nurse, protocol):
    """Twenty chairs, two nurses every weekday of three weeks, six bookings on DAY's morning, a block."""
    chairs = [ChairFactory(center=center, label=f"C{n:02d}") for n in range(1, 21)]
    colleague = UserFactory(username="carl.colleague", role="nurse", center=center)
    for offset in range(21):
        day = DAY + dt.timedelta(days=offset)
        if day.weekday() < 5:
            for someone in (nurse, colleague):
                NurseShiftFactory(center=center, nurse=someone, start=at(7, day=day), end=at(19, day=day))
    for chair in chairs[:6]:
        AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(7, day=DAY))
    ChairBlockFactory(chair=chairs[-1], start=at(7), end=at(12))
    return chairs


def _warm(api, center, protocol) -> None:
    """One request first: per-process caches (permissions, the center's fixed input) are filled."""
    api.get("/api/v1/availability/", {"center": center.pk, "protocol": protocol.pk, "date_from": DAY, "date_to": DAY})


@pytest.mark.django_db(transaction=True)  # counted as in production: no test transaction's savepoints
def test_booking_costs_at_most_a_dozen_queries(
    settings, django_assert_max_num_queries, nurse, center, busy_center, protocol
):
    settings.BOOKING_REQUIRES_ORDER = True  # readiness checked, as in production
    patient = PatientFactory(center=center, has_reminder_consent=True, reminder_channel="sms", phone="+16175550111")
    make_order(patient, protocol, start=DAY - dt.timedelta(days=30), until=DAY + dt.timedelta(days=300))
    api = client_for(nurse)
    first = PatientFactory(center=center)
    make_order(first, protocol, start=DAY - dt.timedelta(days=30), until=DAY + dt.timedelta(days=300))
    warm = api.post("/api/v1/appointments/", booking(first, protocol, busy_center[14], at(9)), format="json")
    assert warm.status_code == 201, warm.json()  # steady state: the process's caches are filled
    with django_assert_max_num_queries(BOOKING_QUERIES):
        response = api.post(
            "/api/v1/appointments/", booking(patient, protocol, busy_center[15], at(9), dose_number=3), format="json"
        )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "booked"


def test_refused_booking_costs_no_more(settings, django_assert_max_num_queries, nurse, center, busy_center, protocol):
    patient = PatientFactory(center=center)
    api = client_for(nurse)
    _warm(api, center, protocol)
    with django_assert_max_num_queries(BOOKING_QUERIES):
        response = api.post(
            "/api/v1/appointments/", booking(patient, protocol, busy_center[0], at(8), dose_number=3), format="json"
        )
    assert response.status_code == 409
    assert "chair_taken" in [r["code"] for r in response.json()["reasons"]]


@pytest.mark.parametrize("days", [1, 14, 60])
def test_availability_queries_do_not_grow_with_the_range(
    django_assert_max_num_queries, nurse, center, busy_center, protocol, days
):
    api = client_for(nurse)
    _warm(api, center, protocol)
    params = {
        "center": center.pk,
        "protocol": protocol.pk,
        "dose_number": 3,
        "date_from": DAY,
        "date_to": DAY + dt.timedelta(days=days - 1),
        "limit": 10,
    }
    with django_assert_max_num_queries(AVAILABILITY_QUERIES):
        response = api.get("/api/v1/availability/", params)
    assert response.status_code == 200, response.json()
    assert len(response.json()["candidates"]) == 10


def test_availability_for_a_patient_within_budget(
    django_assert_max_num_queries, nurse, center, busy_center, protocol, patient
):
    api = client_for(nurse)
    _warm(api, center, protocol)
    params = {"center": center.pk, "protocol": protocol.pk, "dose_number": 3, "patient": patient.pk}
    params |= {"date_from": DAY, "date_to": DAY + dt.timedelta(days=13), "limit": 5}
    with django_assert_max_num_queries(AVAILABILITY_QUERIES + 2):  # the patient and their own bookings and doses
        response = api.get("/api/v1/availability/", params)
    assert response.status_code == 200, response.json()
    assert response.json()["candidates"]


@pytest.mark.parametrize("htmx", [False, True])
def test_board_queries_do_not_grow_with_the_day(
    client, django_assert_max_num_queries, nurse, center, busy_center, protocol, htmx
):
    client.force_login(nurse)
    url = f"/board/?center={center.pk}&date={DAY.isoformat()}"
    headers = {"HX-Request": "true", "HX-Target": "board-live"} if htmx else {}
    client.get(url, headers=headers)
    with django_assert_max_num_queries(BOARD_QUERIES):
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    for chair in busy_center[:12]:
        AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(13))
    with django_assert_max_num_queries(BOARD_QUERIES):
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert response.content.count(b"board-item board-appt") == 18  # the morning's six and the afternoon's twelve


@pytest.fixture
def busy_board(center, busy_center):
    """The library's protocols (prerequisites, weight-based and fixed amounts) booked on twenty chairs, half
    of the patients with an order and an approved authorization, some weighed; one patient in the chair."""
    from decimal import Decimal

    from regimens.models import PatientWeight
    from scheduling.models import Protocol
    from scheduling.protocol_library import seed_protocols

    seed_protocols()
    protocols = list(Protocol.objects.order_by("code"))
    booked = []
    for n, chair in enumerate(busy_center):
        protocol = protocols[n % len(protocols)]
        patient = PatientFactory(center=center, last_name=f"Patient{n:02d}")
        booked.append(AppointmentFactory(center=center, chair=chair, patient=patient, protocol=protocol,
                                         start=at(13), dose_number=1 + n % 3))  # fmt: skip
        if n % 2:
            make_order(patient, protocol, start=DAY - dt.timedelta(days=30), until=DAY + dt.timedelta(days=300))
        if n % 3:
            PatientWeight.objects.create(patient=patient, kg=Decimal("70.0"), measured_on=DAY - dt.timedelta(days=2))
    seated = booked[0]
    seated.status, seated.chair_stage = "checked-in", "in_chair"
    seated.save()
    return booked


@pytest.mark.parametrize("htmx", [False, True])
def test_board_after_a_chair_stage_change_within_budget(
    client, django_assert_max_num_queries, nurse, center, busy_board, htmx
):
    """Issue 14: the first request after a write rebuilds the board; a chair stage change (the floor's most
    common write) costs at most twelve queries: the day's appointments, the planner's day, and only the
    changed patient's dose (the others' readiness and amounts are kept per patient)."""
    client.force_login(nurse)
    url = f"/board/?center={center.pk}&date={DAY.isoformat()}"
    headers = {"HX-Request": "true", "HX-Target": "board-live"} if htmx else {}
    assert b"stage-in_chair" in client.get(url, headers=headers).content
    seated = busy_board[0]
    seated.chair_stage = "infusing"
    seated.save(update_fields=["chair_stage", "updated_at"])
    with django_assert_max_num_queries(BOARD_QUERIES):
        response = client.get(url, headers=headers)
    assert b"board-appt status-checked-in stage-infusing" in response.content
    assert b"stage-in_chair" not in response.content
    assert response.content.count(b"readiness-badge") >= 10  # the patients without an order are not ready
