"""Contract tests: every FHIR resource we serve, read and searched, round-trips through fhir.resources' R4 models."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from audit.models import PatientAccess
from scheduling.models import AppointmentStatus
from scheduling.services import book_appointment, transition
from tests.factories import ChairFactory, PatientFactory, UserFactory
from tests.fhir_r4.conftest import DAY, at, fhir_get, validated
from treatment.models import AuthorizationStatus, Order, PriorAuthorization

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(center, chair, patient, protocol, nurse, shift):
    return book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=chair, start=at(9))


def test_metadata_is_a_capability_statement_anyone_may_read(db):
    response = fhir_get(Client(), "metadata")
    assert response.status_code == 200
    statement = validated(response.json())
    types = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {"Patient", "Practitioner", "Location", "Schedule", "Slot", "Appointment"} <= types
    assert {"ServiceRequest", "ClaimResponse"} <= types
    appointment = next(r for r in statement["rest"][0]["resource"] if r["type"] == "Appointment")
    assert {"create", "update"} <= {i["code"] for i in appointment["interaction"]} and appointment["conditionalCreate"]


def test_without_a_token_the_answer_is_an_operation_outcome_401(db):
    response = fhir_get(Client(), "Patient")
    assert response.status_code == 401
    outcome = validated(response.json())
    assert outcome["issue"][0]["code"] == "login" and "Token" in response["WWW-Authenticate"]


def test_patient_reads_round_trip_and_are_audited(engine, patient, nurse):
    response = fhir_get(engine, f"Patient/{patient.pk}")
    resource = validated(response.json())
    assert resource["identifier"][0]["value"] == patient.mrn
    assert (
        resource["name"][0]["family"] == patient.last_name
        and resource["birthDate"] == patient.date_of_birth.isoformat()
    )
    assert PatientAccess.objects.filter(patient=patient, user=nurse).exists()
    bundle = validated(fhir_get(engine, "Patient").json())
    assert bundle["type"] == "searchset" and bundle["total"] == 1
    assert bundle["entry"][0]["fullUrl"].endswith(f"/fhir/r4/Patient/{patient.pk}")


def test_another_centers_patient_is_a_404_outcome(engine, other_center):
    stranger = PatientFactory(center=other_center)
    response = fhir_get(engine, f"Patient/{stranger.pk}")
    assert response.status_code == 404 and validated(response.json())["issue"][0]["code"] == "not-found"
    assert fhir_get(engine, "Patient", identifier=stranger.mrn).json()["total"] == 0


def test_appointment_status_and_participants(engine, booked, patient, chair, nurse, center):
    resource = validated(fhir_get(engine, f"Appointment/{booked.pk}").json())
    assert resource["status"] == "booked"
    actors = {p["actor"]["reference"] for p in resource["participant"]}
    assert actors == {
        f"Patient/{patient.pk}",
        f"Location/chair-{chair.pk}",
        f"Location/{center.pk}",
        f"Practitioner/nurse-{nurse.pk}",
    }
    assert resource["serviceType"][0]["coding"][0]["code"] == booked.protocol.code
    assert dt.datetime.fromisoformat(resource["start"]) == booked.start
    assert resource["meta"]["versionId"] == "1"


@pytest.mark.parametrize(
    "steps",
    [
        [("check_in", {})],
        [("cancel", {"cancelled_by": "patient", "reason": "Has a cold"})],
        [("enter_in_error", {})],
    ],
)
def test_every_status_is_the_fhir_status(engine, booked, nurse, steps):
    for action, extra in steps:
        transition(actor=nurse, appointment=booked, action=action, **extra)
    booked.refresh_from_db()
    resource = validated(fhir_get(engine, f"Appointment/{booked.pk}").json())
    assert resource["status"] == booked.status and resource["status"] in AppointmentStatus.values
    if booked.status == "cancelled":
        assert resource["cancelationReason"]["coding"][0]["code"] == "pat"


def test_practitioners_are_nurses_and_ordering_providers(engine, nurse, patient, protocol):
    Order.objects.create(patient=patient, protocol=protocol, ordering_provider="Dr. Alvarez", start_date=DAY)
    bundle = validated(fhir_get(engine, "Practitioner").json())
    names = {e["resource"]["name"][0]["text"] for e in bundle["entry"]}
    assert nurse.get_full_name() in names and "Dr. Alvarez" in names
    provider = next(e["resource"] for e in bundle["entry"] if e["resource"]["name"][0]["text"] == "Dr. Alvarez")
    assert validated(fhir_get(engine, f"Practitioner/{provider['id']}").json()) == provider
    assert fhir_get(engine, "Practitioner", name="alva").json()["total"] == 1


def test_locations_are_the_center_and_its_chairs(engine, center, chair):
    bed = ChairFactory(center=center, label="B01", kind="bed")
    center_location = validated(fhir_get(engine, f"Location/{center.pk}").json())
    assert center_location["name"] == center.name
    chairs = validated(fhir_get(engine, "Location", partof=f"Location/{center.pk}").json())
    assert {e["resource"]["id"] for e in chairs["entry"]} == {f"chair-{chair.pk}", f"chair-{bed.pk}"}
    bed_location = validated(fhir_get(engine, f"Location/chair-{bed.pk}").json())
    assert bed_location["physicalType"]["coding"][0]["code"] == "bd"
    assert bed_location["partOf"]["reference"] == f"Location/{center.pk}"


def test_each_chair_has_a_schedule(engine, center, chair):
    schedule = validated(fhir_get(engine, f"Schedule/{chair.pk}").json())
    assert schedule["actor"][0]["reference"] == f"Location/chair-{chair.pk}"
    found = validated(fhir_get(engine, "Schedule", actor=f"Location/chair-{chair.pk}").json())
    assert [e["resource"]["id"] for e in found["entry"]] == [str(chair.pk)]


def test_orders_are_service_requests_and_authorizations_claim_responses(desk_fhir, patient, protocol):
    order = Order.objects.create(
        patient=patient, protocol=protocol, ordering_provider="Dr. Alvarez", start_date=DAY, dose_count=4
    )
    authorization = PriorAuthorization.objects.create(
        patient=patient,
        order=order,
        payer="Blue Cross",
        reference_number="PA-9",
        status=AuthorizationStatus.APPROVED,
        approved_from=DAY,
        approved_until=DAY + dt.timedelta(days=180),
        approved_visits=4,
    )
    request = validated(fhir_get(desk_fhir, f"ServiceRequest/{order.pk}").json())
    assert request["status"] == "active" and request["intent"] == "order"
    assert request["subject"]["reference"] == f"Patient/{patient.pk}"
    assert request["insurance"] == [{"reference": f"ClaimResponse/{authorization.pk}"}]
    claim = validated(fhir_get(desk_fhir, f"ClaimResponse/{authorization.pk}").json())
    assert claim["use"] == "preauthorization" and claim["outcome"] == "complete" and claim["preAuthRef"] == "PA-9"
    assert claim["preAuthPeriod"] == {"start": DAY.isoformat(), "end": (DAY + dt.timedelta(days=180)).isoformat()}
    assert fhir_get(desk_fhir, "ClaimResponse", outcome="queued").json()["total"] == 0
    order.is_active = False
    order.save()
    assert fhir_get(desk_fhir, "ServiceRequest", status="revoked", patient=f"Patient/{patient.pk}").json()["total"] == 1


def test_a_role_without_the_permission_is_403(center, patient):
    from tests.api.conftest import client_for

    system = client_for(UserFactory(role="system_admin", center=center))
    response = fhir_get(system, "Patient")
    assert response.status_code == 403 and validated(response.json())["issue"][0]["code"] == "forbidden"


def test_an_expired_api_token_is_refused_with_the_apis_code(engine, patient):
    import time_machine
    from django.utils import timezone

    with time_machine.travel(timezone.now() + dt.timedelta(days=31), tick=False):
        response = fhir_get(engine, f"Patient/{patient.pk}")
    assert response.status_code == 401
    issue = validated(response.json())["issue"][0]
    assert issue["details"]["coding"][0]["code"] == "token_expired" and "expired" in issue["diagnostics"]
