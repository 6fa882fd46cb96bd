"""One slot search: the slot finder and the API offer the same candidates, never one the patient is booked at."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.models import Protocol
from scheduling.services import book_appointment
from tests.booking.conftest import at
from tests.booking.test_slot_finder import search_params
from tests.factories import NEW_YORK, AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(time_machine):
    """A Wednesday morning; the booking fixtures' Monday is then 2026-12-07."""
    time_machine.move_to(dt.datetime(2026, 12, 2, 9, tzinfo=NEW_YORK), tick=False)


@pytest.fixture
def busy_ann(staffed_center, protocols, monday):
    """Ann already has an infusion on Monday 07:00–12:00 (on C01)."""
    ann = PatientFactory(center=staffed_center, first_name="Ann", last_name="Smith")
    AppointmentFactory(
        center=staffed_center,
        patient=ann,
        protocol=protocols["ept"],
        chair=staffed_center.test_chairs[0],
        start=at(monday, 7),
        end=at(monday, 12),
    )
    return ann


def page_candidates(client, center, patient, protocol: Protocol, day: dt.date):
    response = client.get(reverse("slot_finder"), search_params(center, patient, protocol, day))
    return [(c.chair_id, c.start) for c in response.context["result"].candidates]


def api_candidates(client, center, patient, protocol: Protocol, day: dt.date):
    query = {
        "center": center.pk,
        "patient": patient.pk,
        "protocol": protocol.pk,
        "dose_number": 1,
        "date_from": day.isoformat(),
        "date_to": day.isoformat(),
        "time_of_day": "any",
    }
    response = client.get(reverse("api-availability"), query)
    assert response.status_code == 200
    return [(c["chair"], dt.datetime.fromisoformat(c["start"])) for c in response.json()["candidates"]]


def test_slot_finder_never_offers_a_time_when_the_patient_is_booked(
    nurse_client, staffed_center, protocols, monday, busy_ann
):
    ocr = protocols["ocr"]
    offered = page_candidates(nurse_client, staffed_center, busy_ann, ocr, monday)
    assert offered
    for _, start in offered:
        end = ocr.end_of(start, 1)
        assert end <= at(monday, 7) or start >= at(monday, 12), f"{start} overlaps Ann's 07:00–12:00 infusion"


def test_a_slot_the_finder_offers_can_be_booked(nurse_client, nurse, staffed_center, protocols, monday, busy_ann):
    chair_id, start = page_candidates(nurse_client, staffed_center, busy_ann, protocols["ocr"], monday)[0]
    chair = next(c for c in staffed_center.test_chairs if c.pk == chair_id)
    booked = book_appointment(actor=nurse, patient=busy_ann, protocol=protocols["ocr"], chair=chair, start=start)
    assert booked.start == start


def test_page_and_api_offer_the_same_candidates_for_the_same_query(
    nurse_client, staffed_center, protocols, monday, busy_ann
):
    page = page_candidates(nurse_client, staffed_center, busy_ann, protocols["ocr"], monday)
    api = api_candidates(nurse_client, staffed_center, busy_ann, protocols["ocr"], monday)
    assert page and page == api
