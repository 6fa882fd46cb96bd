"""A patient's chair: a bed when they need one (never anything else), their preferred chairs offered first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.errors import BookingRefused
from scheduling.services import book_appointment, move_appointment
from scheduling.slot_search import find_candidates
from tests.booking.conftest import at
from tests.booking.test_slot_finder import search_params
from tests.factories import NEW_YORK, ChairBlockFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 2, 9, tzinfo=NEW_YORK), tick=False)


@pytest.fixture
def window_chair(staffed_center):
    """C03 is by a window; no other chair is."""
    chair = staffed_center.test_chairs[2]
    chair.features = [*chair.features, "window"]
    chair.save()
    return chair


def chairs_offered(center, patient, protocol, day):
    result = find_candidates(
        center=center, protocol=protocol, dose_number=1, date_from=day, date_to=day, patient=patient
    )
    return [c.chair_id for c in result.candidates], result


def test_a_patient_who_prefers_a_window_is_offered_the_window_chair_first(
    staffed_center, protocols, monday, window_chair
):
    plain = PatientFactory(center=staffed_center)
    offered, _ = chairs_offered(staffed_center, plain, protocols["ept"], monday)
    assert offered[0] != window_chair.pk  # the planner alone picks another chair first

    # The window chair is taken until late afternoon: its few free starts come first, then the others.
    ChairBlockFactory(chair=window_chair, start=at(monday, 7), end=at(monday, 17, 30))
    likes_window = PatientFactory(center=staffed_center, preferred_chair_features=["window"])
    offered, result = chairs_offered(staffed_center, likes_window, protocols["ept"], monday)
    assert offered[0] == window_chair.pk
    on_window = [chair == window_chair.pk for chair in offered]
    assert on_window == sorted(on_window, reverse=True), "every window slot comes before the other chairs"
    assert not all(on_window), "other chairs are still offered: a preference refuses nothing"
    starts = [c.start for c in result.candidates]
    assert len(starts) == len(set(starts)), "a start time is offered once"


def test_a_preference_no_chair_meets_still_offers_the_other_chairs(staffed_center, protocols, monday):
    likes_window = PatientFactory(center=staffed_center, preferred_chair_features=["window"])
    offered, _ = chairs_offered(staffed_center, likes_window, protocols["ept"], monday)
    assert offered


def test_a_patient_who_needs_a_bed_is_offered_beds_only(staffed_center, protocols, monday):
    bed = staffed_center.test_chairs[4]
    patient = PatientFactory(center=staffed_center, needs_bed=True)
    offered, _ = chairs_offered(staffed_center, patient, protocols["ept"], monday)
    assert offered and set(offered) == {bed.pk}


def test_booking_or_moving_a_patient_who_needs_a_bed_onto_a_chair_is_refused(nurse, staffed_center, protocols, monday):
    patient = PatientFactory(center=staffed_center, needs_bed=True)
    chair, bed = staffed_center.test_chairs[0], staffed_center.test_chairs[4]
    with pytest.raises(BookingRefused) as refused:
        book_appointment(actor=nurse, patient=patient, protocol=protocols["ept"], chair=chair, start=at(monday, 9))
    assert "patient_needs_bed" in [r.code for r in refused.value.reasons]
    booked = book_appointment(actor=nurse, patient=patient, protocol=protocols["ept"], chair=bed, start=at(monday, 9))
    with pytest.raises(BookingRefused):
        move_appointment(actor=nurse, appointment=booked, chair=chair, start=at(monday, 11))


def test_the_api_refuses_a_chair_for_a_patient_who_needs_a_bed(nurse_client, staffed_center, protocols, monday):
    patient = PatientFactory(center=staffed_center, needs_bed=True)
    response = nurse_client.post(
        reverse("api-appointment-list"),
        {
            "patient": patient.pk,
            "protocol": protocols["ept"].pk,
            "chair": staffed_center.test_chairs[0].pk,
            "start": at(monday, 9).isoformat(),
            "dose_number": 1,
        },
        content_type="application/json",
    )
    assert response.status_code == 409
    assert "patient_needs_bed" in response.content.decode()


def test_the_slot_finder_marks_the_preferred_chair(nurse_client, staffed_center, protocols, monday, window_chair):
    patient = PatientFactory(center=staffed_center, preferred_chair_features=["window"])
    response = nurse_client.get(
        reverse("slot_finder"), search_params(staffed_center, patient, protocols["ept"], monday)
    )
    page = response.content.decode()
    assert "prefers by a window" in page
    assert f'{window_chair.label} <span class="badge text-bg-success">preferred chair</span>' in page


def test_the_patient_form_keeps_the_preference_in_history(nurse_client, staffed_center):
    patient = PatientFactory(center=staffed_center)
    data = {
        "center": staffed_center.pk,
        "mrn": patient.mrn,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "preferred_language": "en",
        "reminder_channel": "none",
        "preferred_chair_kind": "chair",
        "preferred_chair_features": ["window", "recliner"],
    }
    response = nurse_client.post(reverse("patient_edit", args=[patient.pk]), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    patient.refresh_from_db()
    assert patient.preferred_chair_features == ["window", "recliner"]
    latest = patient.history.first()
    assert latest.preferred_chair_features == ["window", "recliner"] and latest.history_user is not None
    detail = nurse_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert "Prefers chair, by a window, recliner" in detail


def test_the_form_refuses_needing_a_bed_while_preferring_a_chair(nurse_client, staffed_center):
    patient = PatientFactory(center=staffed_center)
    data = {
        "center": staffed_center.pk,
        "mrn": patient.mrn,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "preferred_language": "en",
        "reminder_channel": "none",
        "preferred_chair_kind": "chair",
        "needs_bed": "on",
    }
    response = nurse_client.post(reverse("patient_edit", args=[patient.pk]), data)
    assert response.status_code == 200
    assert "preferred_chair_kind" in response.context["form"].errors


def test_the_api_reads_and_writes_the_chair_preference(nurse_client, staffed_center):
    patient = PatientFactory(center=staffed_center)
    url = reverse("api-patient-detail", args=[patient.pk])
    response = nurse_client.patch(
        url, {"preferred_chair_features": ["window"], "needs_bed": True}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["preferred_chair_features"] == ["window"] and response.json()["needs_bed"] is True
    refused = nurse_client.patch(url, {"preferred_chair_kind": "chair"}, content_type="application/json")
    assert refused.status_code == 400 and "preferred_chair_kind" in refused.json()
    bad = nurse_client.patch(url, {"preferred_chair_features": ["jacuzzi"]}, content_type="application/json")
    assert bad.status_code == 400 and "preferred_chair_features" in bad.json()
