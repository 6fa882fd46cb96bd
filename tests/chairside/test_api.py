"""The chair-side REST API: records written through the services the pages use (audited, role-checked,
bad input a 400 naming the field), the dose plan, the pharmacy's preparation steps and queue, and the
chair's gates refusing the infusion's start and the discharge through the API's transitions too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from chairside import services
from chairside.models import PremedicationGiven, VitalSigns
from regimens.models import PatientWeight
from scheduling.models import AppointmentStatus
from scheduling.services import transition
from tests.api.conftest import client_for
from tests.factories import NEW_YORK, AppointmentFactory, UserFactory
from tests.treatment.conftest import at, make_order

NOW = dt.datetime(2026, 12, 1, 9, 5, tzinfo=NEW_YORK)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def seated(center, chair, library, patient, nurse):
    make_order(patient, library["efg"])
    PatientWeight.objects.create(patient=patient, kg=Decimal("72"), measured_on=TODAY)
    appointment = AppointmentFactory(
        center=center, patient=patient, protocol=library["efg"], chair=chair, dose_number=1, start=at(TODAY),
        status=AppointmentStatus.ARRIVED, arrived_at=NOW,
    )  # fmt: skip
    return transition(actor=nurse, appointment=appointment, action="seat")


@pytest.fixture
def nurse_api(nurse):
    return client_for(nurse)


@pytest.fixture
def desk_api(front_desk):
    return client_for(front_desk)


@pytest.fixture
def pharmacy_api(center):
    return client_for(UserFactory(role="pharmacy", center=center))


def url(appointment, what: str) -> str:
    return f"/api/v1/appointments/{appointment.pk}/{what}/"


def test_nurse_records_vitals_audited_and_lists_them(nurse_api, nurse, seated):
    response = nurse_api.post(
        url(seated, "vitals"), {"phase": "pre", "systolic": 124, "diastolic": 78, "pulse": 72}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["recorded_by"] == "nina.nurse"
    vitals = VitalSigns.objects.get()
    assert vitals.history.first().history_user == nurse and vitals.taken_at == NOW
    listed = nurse_api.get(url(seated, "vitals")).json()
    assert [v["systolic"] for v in listed] == [124]


def test_bad_vitals_are_a_400_naming_the_field(nurse_api, seated):
    response = nurse_api.post(
        url(seated, "vitals"), {"phase": "pre", "systolic": 900, "diastolic": 78, "pulse": 72}, format="json"
    )
    assert response.status_code == 400 and "systolic" in response.json()
    naive = nurse_api.post(
        url(seated, "vitals"),
        {"phase": "pre", "systolic": 120, "diastolic": 78, "pulse": 72, "taken_at": "2026-12-01T09:00:00"},
        format="json",
    )
    assert naive.status_code == 400 and "taken_at" in naive.json()
    assert not VitalSigns.objects.exists()


def test_front_desk_reads_the_dose_plan_but_writes_no_chairside_record(desk_api, seated):
    plan = desk_api.get(url(seated, "dose-plan"))
    assert plan.status_code == 200
    body = plan.json()
    assert body["amount_label"] == "720 mg (10 mg/kg)" and body["weight_kg"] == "72.0"
    assert (
        body["chair_minutes"]
        == body["setup_minutes"]
        + body["premedication_minutes"]
        + body["infusion_minutes"]
        + body["observation_minutes"]
    )
    assert seated.protocol.chair_minutes(1, seated.patient) == body["chair_minutes"]
    refused = desk_api.post(url(seated, "vitals"), {"phase": "pre", "systolic": 120, "diastolic": 80, "pulse": 70})
    assert refused.status_code == 403
    assert desk_api.get(url(seated, "reactions")).status_code == 403


def test_the_ivig_dose_plan_lists_its_rate_ladder(nurse_api, center, chair, library, patient):
    PatientWeight.objects.create(patient=patient, kg=Decimal("50"), measured_on=TODAY)
    appointment = AppointmentFactory(
        center=center, patient=patient, protocol=library["ivig"], chair=chair, dose_number=6, start=at(TODAY, 11)
    )
    body = nurse_api.get(url(appointment, "dose-plan")).json()
    assert body["infusion_source"] == "rate ladder" and body["ladder_name"] == "10 % by weight"
    assert [(s["rate"], s["unit"], s["minutes"]) for s in body["steps"]][:2] == [
        ("1.20", "mL/kg/h", 30),
        ("2.40", "mL/kg/h", 30),
    ]
    assert body["infusion_minutes"] == 170


def test_another_centers_appointment_is_a_404(nurse_api, other_center, library):
    theirs = AppointmentFactory(center=other_center, protocol=library["efg"], dose_number=1, start=at(TODAY))
    for what in ("vitals", "reactions", "drug-lots", "rate-steps", "premedications-given", "dose-plan"):
        assert nurse_api.get(url(theirs, what)).status_code == 404, what


def test_reactions_lots_and_rates_through_the_services(nurse_api, seated):
    reaction = nurse_api.post(
        url(seated, "reactions"),
        {"grade": 2, "symptoms": ["rash"], "action": "slowed", "premedication_change": "add cetirizine"},
        format="json",
    )
    assert reaction.status_code == 201, reaction.json()
    bad_symptom = nurse_api.post(
        url(seated, "reactions"), {"grade": 2, "symptoms": ["sneezing"], "action": "slowed"}, format="json"
    )
    assert bad_symptom.status_code == 400 and "symptoms" in bad_symptom.json()
    expired = nurse_api.post(url(seated, "drug-lots"), {"lot_number": "A1", "expires_on": "2026-11-30"}, format="json")
    assert expired.status_code == 400 and expired.json()["code"] == "lot_expired"
    lot = nurse_api.post(url(seated, "drug-lots"), {"lot_number": "A2", "expires_on": "2027-01-31"}, format="json")
    assert lot.status_code == 201
    rate = nurse_api.post(url(seated, "rate-steps"), {"rate_ml_per_h": "120"}, format="json")
    assert rate.status_code == 201 and rate.json()["rate_ml_per_h"] == "120.0"
    too_fast = nurse_api.post(url(seated, "rate-steps"), {"rate_ml_per_h": "99999"}, format="json")
    assert too_fast.status_code == 400 and "rate_ml_per_h" in too_fast.json()


def test_premedication_given_through_the_api_opens_the_start(nurse_api, nurse, seated):
    order = services.add_premedication(
        actor=nurse, patient=seated.patient, protocol=seated.protocol, drug="acetaminophen", dose="650 mg PO",
        minutes_before=30,
    )  # fmt: skip
    nurse_api.post(url(seated, "vitals"), {"phase": "pre", "systolic": 124, "diastolic": 78, "pulse": 72})
    refused = nurse_api.post(f"/api/v1/appointments/{seated.pk}/start-infusion/", {}, format="json")
    assert refused.status_code == 409, refused.json()
    assert [r["code"] for r in refused.json()["reasons"]] == ["premedication_not_given"]
    missing = nurse_api.post(url(seated, "premedications-given"), {}, format="json")
    assert missing.status_code == 400 and "order" in missing.json()
    given = nurse_api.post(
        url(seated, "premedications-given"), {"order": order.pk, "given_at": "2026-12-01T08:35:00-05:00"}, format="json"
    )
    assert given.status_code == 201, given.json()
    assert given.json()["drug"] == "acetaminophen" and given.json()["recorded_by"] == "nina.nurse"
    assert PremedicationGiven.objects.get().history.first().history_user == nurse
    started = nurse_api.post(f"/api/v1/appointments/{seated.pk}/start-infusion/", {}, format="json")
    assert started.status_code == 200, started.json()


def test_discharge_through_the_api_needs_post_observation_vitals(nurse_api, nurse, seated):
    services.record_vitals(actor=nurse, appointment=seated, phase="pre", systolic=120, diastolic=80, pulse=70)
    infusing = transition(actor=nurse, appointment=seated, action="start_infusion", now=NOW - dt.timedelta(hours=3))
    transition(actor=nurse, appointment=infusing, action="start_observation", now=NOW - dt.timedelta(hours=2))
    refused = nurse_api.post(f"/api/v1/appointments/{seated.pk}/complete/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["reasons"][0]["code"] == "vitals_post_missing"
    nurse_api.post(url(seated, "vitals"), {"phase": "post", "systolic": 118, "diastolic": 76, "pulse": 70})
    assert nurse_api.post(f"/api/v1/appointments/{seated.pk}/complete/", {}, format="json").status_code == 200


def test_discharge_through_the_api_without_vitals_says_why(nurse_api, nurse, seated):
    services.record_vitals(actor=nurse, appointment=seated, phase="pre", systolic=120, diastolic=80, pulse=70)
    infusing = transition(actor=nurse, appointment=seated, action="start_infusion", now=NOW - dt.timedelta(hours=3))
    transition(actor=nurse, appointment=infusing, action="start_observation", now=NOW - dt.timedelta(hours=2))
    complete = f"/api/v1/appointments/{seated.pk}/complete/"
    too_long = nurse_api.post(complete, {"vitals_waiver": "x" * 256}, format="json")
    assert too_long.status_code == 400 and "vitals_waiver" in too_long.json()
    not_text = nurse_api.post(complete, {"reason": ["a", "b"]}, format="json")
    assert not_text.status_code == 400 and "reason" in not_text.json()
    done = nurse_api.post(complete, {"vitals_waiver": "Transferred to the emergency department"}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "fulfilled"
    last = seated.history.first()
    assert last.history_change_reason == "No post-observation vital signs: Transferred to the emergency department"
    assert last.history_user == nurse


def test_pharmacy_moves_the_preparation_and_reads_the_queue(pharmacy_api, nurse_api, seated):
    queue = pharmacy_api.get("/api/v1/pharmacy-queue/", {"date": TODAY.isoformat()})
    assert queue.status_code == 200
    assert [(d["appointment"], d["status"]) for d in queue.json()["doses"]] == [(seated.pk, "to_prepare")]
    prepared = pharmacy_api.post(url(seated, "preparation"), {"status": "prepared"}, format="json")
    assert prepared.status_code == 200 and prepared.json()["status"] == "prepared"
    skipped = pharmacy_api.post(url(seated, "preparation"), {"status": "prepared"}, format="json")
    assert skipped.status_code == 400 and skipped.json()["code"] == "invalid_preparation_step"
    unknown = pharmacy_api.post(url(seated, "preparation"), {"status": "eaten"}, format="json")
    assert unknown.status_code == 400 and "status" in unknown.json()
    assert nurse_api.post(url(seated, "preparation"), {"status": "dispensed"}, format="json").status_code == 403
    assert pharmacy_api.post(url(seated, "preparation"), {"status": "dispensed"}).json()["status"] == "dispensed"
    assert pharmacy_api.get("/api/v1/pharmacy-queue/", {"date": "tomorrow"}).status_code == 400
    assert pharmacy_api.post(url(seated, "vitals"), {"phase": "pre"}).status_code == 403


def test_the_pharmacy_queue_names_a_query_parameter_out_of_range(pharmacy_api):
    """A year the day arithmetic cannot reach, or a center id PostgreSQL cannot hold: a 400, not a 500."""
    far = pharmacy_api.get("/api/v1/pharmacy-queue/", {"date": "0001-01-01"})
    assert far.status_code == 400 and "date" in far.json()
    huge = pharmacy_api.get("/api/v1/pharmacy-queue/", {"center": "9" * 30})
    assert huge.status_code == 400 and "center" in huge.json()


def test_the_schema_documents_the_chairside_endpoints(nurse_api):
    schema = nurse_api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (
        "/api/v1/appointments/{id}/vitals/",
        "/api/v1/appointments/{id}/dose-plan/",
        "/api/v1/appointments/{id}/premedications-given/",
        "/api/v1/appointments/{id}/preparation/",
        "/api/v1/pharmacy-queue/",
    ):
        assert any(p.rstrip("/") == path.rstrip("/") for p in schema["paths"]), path
