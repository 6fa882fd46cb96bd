"""FHIR writes go through the one door: POST Appointment and Slot/$book book through the booking service,
PUT cancels through transition() and moves through move_appointment, If-None-Exist never books twice."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling.models import Appointment, AppointmentStatus, CancelledBy
from scheduling.services import book_appointment
from tests.factories import ChairFactory, PatientFactory
from tests.fhir_r4.conftest import at, fhir_get, fhir_send, validated

pytestmark = pytest.mark.django_db

SYSTEM = "urn:oid:2.16.840.1.113883.3.999.1"


def new_appointment(patient, chair, protocol, start, **extra) -> dict:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "serviceType": [{"coding": [{"system": "urn:infusion-center:fhir:protocol", "code": protocol.code}]}],
        "start": start.isoformat(),
        "participant": [
            {"actor": {"reference": f"Patient/{patient.pk}"}, "status": "accepted"},
            {"actor": {"reference": f"Location/chair-{chair.pk}"}, "status": "accepted"},
        ],
        "extension": [{"url": "urn:infusion-center:fhir:extension:dose-number", "valueInteger": 3}],
        **extra,
    }


def test_post_books_through_the_booking_service(engine, nurse, patient, chair, protocol, shift):
    response = fhir_send(engine, "post", "Appointment", new_appointment(patient, chair, protocol, at(9)))
    assert response.status_code == 201, response.json()
    resource = validated(response.json())
    appointment = Appointment.objects.get(pk=int(resource["id"]))
    assert response["Location"].endswith(f"/fhir/r4/Appointment/{appointment.pk}/_history/1")
    assert appointment.booked_by == nurse and appointment.dose_number == 3 and appointment.start == at(9)
    assert appointment.end == at(9) + dt.timedelta(minutes=protocol.chair_minutes(3))
    assert appointment.history.latest().history_user == nurse
    assert appointment.reminders.exists()  # the booking service planned them, as for a page booking


def test_a_refusal_is_a_409_operation_outcome_with_the_reason(engine, patient, chair, protocol, shift):
    response = fhir_send(engine, "post", "Appointment", new_appointment(patient, chair, protocol, at(18)))
    assert response.status_code == 409
    issue = validated(response.json())["issue"][0]
    assert issue["code"] == "business-rule" and issue["details"]["coding"][0]["code"] == "outside_hours"
    assert not Appointment.objects.exists()


def test_a_taken_chair_is_a_conflict(engine, center, patient, chair, protocol, shift, nurse):
    book_appointment(actor=nurse, patient=PatientFactory(center=center), protocol=protocol, chair=chair, start=at(9))
    response = fhir_send(engine, "post", "Appointment", new_appointment(patient, chair, protocol, at(10)))
    assert response.status_code == 409
    assert validated(response.json())["issue"][0]["code"] == "conflict"


def test_bad_input_is_a_400_naming_the_element(engine, patient, chair, protocol, shift):
    body = new_appointment(patient, chair, protocol, at(9))
    body["start"] = "2026-12-07T09:00:00"
    response = fhir_send(engine, "post", "Appointment", body)
    assert response.status_code == 400
    assert validated(response.json())["issue"][0]["expression"] == ["Appointment.start"]
    response = fhir_send(engine, "post", "Appointment", {"resourceType": "Patient"})
    assert response.status_code == 400


def test_conditional_create_retried_books_once(engine, patient, chair, protocol, shift):
    body = new_appointment(patient, chair, protocol, at(9), identifier=[{"system": SYSTEM, "value": "ENC-1001"}])
    condition = {"HTTP_IF_NONE_EXIST": f"identifier={SYSTEM}|ENC-1001"}
    first = fhir_send(engine, "post", "Appointment", body, **condition)
    again = fhir_send(engine, "post", "Appointment", body, **condition)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Appointment.objects.count() == 1
    found = fhir_get(engine, "Appointment", identifier=f"{SYSTEM}|ENC-1001").json()
    assert found["total"] == 1 and validated(found)["entry"][0]["resource"]["identifier"][0]["value"] == "ENC-1001"
    # Without the header the same identifier (for another patient and chair) is refused, not booked.
    other = new_appointment(
        PatientFactory(center=chair.center),
        ChairFactory(center=chair.center),
        protocol,
        at(9),
        identifier=body["identifier"],
    )
    refused = fhir_send(engine, "post", "Appointment", other)
    assert (
        refused.status_code == 400 and "already names another appointment" in refused.json()["issue"][0]["diagnostics"]
    )
    assert Appointment.objects.count() == 1


def test_slot_book_operation(engine, patient, chair, protocol, shift):
    params = {"schedule": f"Schedule/{chair.pk}", "service-type": protocol.code, "start": f"ge{at(11).isoformat()}"}
    slot = fhir_get(engine, "Slot", **params).json()["entry"][0]["resource"]
    parameters = {
        "resourceType": "Parameters",
        "parameter": [{"name": "patient", "valueReference": {"reference": f"Patient/{patient.pk}"}}],
    }
    response = fhir_send(engine, "post", f"Slot/{slot['id']}/$book", parameters)
    assert response.status_code == 201, response.json()
    resource = validated(response.json())
    assert resource["start"] == slot["start"] and resource["end"] == slot["end"]
    assert fhir_get(engine, f"Slot/{slot['id']}").json()["status"] == "busy"
    again = fhir_send(engine, "post", f"Slot/{slot['id']}/$book", parameters)
    assert again.status_code == 409 and validated(again.json())["resourceType"] == "OperationOutcome"


@pytest.fixture
def booked(patient, chair, protocol, shift, nurse):
    return book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=chair, start=at(9))


def test_put_cancelled_goes_through_the_state_machine(engine, booked, front_desk, desk_fhir):
    resource = fhir_get(desk_fhir, f"Appointment/{booked.pk}").json()
    resource["status"] = "cancelled"
    resource["cancelationReason"] = {"coding": [{"code": "pat"}], "text": "Has a cold"}
    response = fhir_send(desk_fhir, "put", f"Appointment/{booked.pk}", resource, HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 200, response.json()
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED and booked.cancelled_by == CancelledBy.PATIENT
    assert booked.cancel_reason == "Has a cold" and booked.history.latest().history_user == front_desk
    assert not booked.reminders.filter(status="pending").exists()
    # A second cancel is refused by the state machine, as a 409 OperationOutcome.
    again = fhir_send(desk_fhir, "put", f"Appointment/{booked.pk}", {**resource, "status": "arrived"})
    assert again.status_code == 409 and validated(again.json())["issue"][0]["details"]["coding"][0]["code"] == (
        "invalid_transition"
    )


def test_put_with_a_new_start_moves_it(engine, booked):
    resource = fhir_get(engine, f"Appointment/{booked.pk}").json()
    resource["start"] = at(12).isoformat()
    response = fhir_send(engine, "put", f"Appointment/{booked.pk}", resource)
    assert response.status_code == 200, response.json()
    booked.refresh_from_db()
    assert booked.start == at(12) and validated(response.json())["meta"]["versionId"] == "2"


def test_put_refuses_a_stale_version_and_two_changes_at_once(engine, booked):
    resource = fhir_get(engine, f"Appointment/{booked.pk}").json()
    resource["start"] = at(12).isoformat()
    stale = fhir_send(engine, "put", f"Appointment/{booked.pk}", resource, HTTP_IF_MATCH='W/"7"')
    assert stale.status_code == 412
    resource["status"] = "cancelled"
    both = fhir_send(engine, "put", f"Appointment/{booked.pk}", resource)
    assert both.status_code == 400
    booked.refresh_from_db()
    assert booked.start == at(9) and booked.status == AppointmentStatus.BOOKED


def test_writes_need_the_permission(center, booked):
    from tests.api.conftest import client_for
    from tests.factories import UserFactory

    system = client_for(UserFactory(role="system_admin", center=center))
    response = fhir_send(
        system, "put", f"Appointment/{booked.pk}", {"resourceType": "Appointment", "id": str(booked.pk)}
    )
    assert response.status_code == 403
