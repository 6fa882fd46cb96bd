"""The API of the prior-authorization workflow: stages, step therapy, holds, medication history, rules, tasks."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from chairs.models import NurseShift
from tests.api.conftest import client_for
from tests.factories import ChairFactory, PatientFactory, UserFactory
from tests.treatment.conftest import at, make_order
from treatment.models import AuthorizationStatus, MedicationHistory, PriorAuthorization, StepTherapyRule

pytestmark = pytest.mark.usefixtures("readiness_checked")


@pytest.fixture
def readiness_checked(settings):
    settings.BOOKING_REQUIRES_ORDER = True


@pytest.fixture
def library(db):
    from scheduling.models import Protocol
    from scheduling.protocol_library import seed_protocols

    seed_protocols()
    return {p.code: p for p in Protocol.objects.all()}


@pytest.fixture
def authorization(patient, library):
    return PriorAuthorization.objects.get(order=make_order(patient, library["ocr"], auth=AuthorizationStatus.PENDING))


def url(authorization, tail: str) -> str:
    return f"/api/v1/authorizations/{authorization.pk}/{tail}/"


def test_stages_are_recorded_and_refused_through_the_one_service(authorization, front_desk):
    api = client_for(front_desk)
    body = api.get(url(authorization, "stages")).json()
    assert body["stage"] == "" and body["allowed_stages"] == ["submitted", "withdrawn"]
    assert body["next_action"]["code"] == "submit"
    response = api.post(
        url(authorization, "stages"), {"stage": "submitted", "reference_number": "PA-77"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending" and body["stage"] == "submitted"
    assert body["stages"][0]["recorded_by"] == front_desk.username and body["next_action"]["code"] == "payer_response"
    refused = api.post(url(authorization, "stages"), {"stage": "appeal_2"}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "stage_not_allowed"
    missing = api.post(url(authorization, "stages"), {"stage": "denied"}, format="json")
    assert missing.status_code == 400 and "denial_reason" in missing.json()
    naive = api.post(
        url(authorization, "stages"),
        {"stage": "p2p_scheduled", "peer_to_peer_at": "2026-12-03T16:30:00"},
        format="json",
    )
    assert naive.status_code == 400 and "peer_to_peer_at" in naive.json()
    denied = api.post(
        url(authorization, "stages"), {"stage": "denied", "denial_reason": "out_of_network"}, format="json"
    )
    assert denied.json()["status"] == "denied" and denied.json()["allowed_stages"] == ["appeal_1", "withdrawn"]
    authorization.refresh_from_db()
    assert authorization.reference_number == "PA-77" and authorization.status == AuthorizationStatus.DENIED


def test_nurses_read_stages_but_do_not_record_them(authorization, nurse):
    api = client_for(nurse)
    assert api.get(url(authorization, "stages")).status_code == 200
    assert api.post(url(authorization, "stages"), {"stage": "submitted"}, format="json").status_code == 403


def test_another_centers_authorization_is_not_found(authorization, other_center):
    outsider = UserFactory(role="front_desk", center=other_center)
    assert client_for(outsider).get(url(authorization, "stages")).status_code == 404
    assert client_for(outsider).get(url(authorization, "step-therapy")).status_code == 404


def test_medication_history_and_step_therapy(authorization, patient, front_desk, center_admin, library):
    admin = client_for(center_admin)
    rule = {
        "payer": "Blue Cross",
        "protocol": library["ocr"].pk,
        "name": "A first-line injectable",
        "therapies": ["glatiramer acetate"],
        "min_trial_days": 90,
    }
    assert client_for(front_desk).post("/api/v1/step-therapy-rules/", rule, format="json").status_code == 403
    created = admin.post("/api/v1/step-therapy-rules/", rule, format="json")
    assert created.status_code == 201, created.json()
    api = client_for(front_desk)
    body = api.get(url(authorization, "step-therapy")).json()
    assert body["applies"] and not body["is_met"]
    assert body["missing"] == [
        "A first-line injectable: no record that glatiramer acetate was tried, not tolerated or contraindicated."
    ]
    history = f"/api/v1/patients/{patient.pk}/medication-history/"
    bad = api.post(history, {"therapy": "glatiramer acetate", "outcome": "failed"}, format="json")
    assert bad.status_code == 400 and "started_on" in bad.json()
    entry = {"therapy": "glatiramer acetate", "outcome": "failed", "started_on": "2025-01-01", "ended_on": "2025-06-30"}
    response = api.post(history, entry, format="json")
    assert response.status_code == 201, response.json()
    assert api.get(history).json()[0]["therapy"] == "glatiramer acetate"
    step = api.get(url(authorization, "step-therapy")).json()
    assert step["is_met"] and step["steps"][0]["evidence"] == response.json()["id"]
    entry_url = f"/api/v1/medication-history/{response.json()['id']}/"
    assert api.patch(entry_url, {"ended_on": "2024-12-01"}, format="json").status_code == 400
    assert api.delete(entry_url).status_code == 204
    assert not MedicationHistory.objects.exists()
    assert StepTherapyRule.objects.get().therapies == ["glatiramer acetate"]


def test_holds_through_the_api(authorization, patient, front_desk, center):
    chair = ChairFactory(center=center, label="C01")
    nurse = UserFactory(role="nurse", center=center)
    with time_machine.travel(dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC), tick=False):
        NurseShift.objects.create(
            center=center, nurse=nurse, start=at(dt.date(2026, 12, 14), 7), end=at(dt.date(2026, 12, 14), 19)
        )
        api = client_for(front_desk)
        start = at(dt.date(2026, 12, 14), 9).isoformat()
        created = api.post(url(authorization, "holds"), {"chair": chair.pk, "start": start}, format="json")
        assert created.status_code == 201, created.json()
        assert created.json()["status"] == "pending" and created.json()["release_on"] == "2026-12-11"
        other = PatientFactory(center=center)
        make_order(other, authorization.order.protocol, auth=AuthorizationStatus.PENDING)
        taken = api.post(
            f"/api/v1/authorizations/{PriorAuthorization.objects.get(patient=other).pk}/holds/",
            {"chair": chair.pk, "start": start},
            format="json",
        )
        assert taken.status_code == 409 and "chair_taken" in [r["code"] for r in taken.json()["reasons"]]
        assert [h["status"] for h in api.get(url(authorization, "holds")).json()] == ["pending"]


def test_tasks_list_next_actions(authorization, front_desk, center):
    body = client_for(front_desk).get(f"/api/v1/authorization-tasks/?center={center.pk}").json()
    assert [(t["authorization"], t["action"]) for t in body] == [(authorization.pk, "submit")]
    assert client_for(front_desk).get("/api/v1/authorization-tasks/?center=x").status_code == 400


def test_the_plain_authorization_api_cannot_overwrite_what_the_stages_decide(authorization, front_desk):
    """One door: once stages are recorded, status and approval change only by recording a stage."""
    api = client_for(front_desk)
    assert api.post(url(authorization, "stages"), {"stage": "submitted"}, format="json").status_code == 201
    response = api.patch(
        f"/api/v1/authorizations/{authorization.pk}/",
        {"status": "approved", "approved_from": "2026-12-01", "approved_until": "2027-06-01"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"status", "approved_from", "approved_until"}, response.json()
    authorization.refresh_from_db()
    assert authorization.status == AuthorizationStatus.PENDING and authorization.approved_until != dt.date(2027, 6, 1)
    notes = api.patch(f"/api/v1/authorizations/{authorization.pk}/", {"notes": "Called the payer."}, format="json")
    assert notes.status_code == 200  # what the stages do not decide stays editable
