"""The treatment-plan REST API: orders, authorizations, documents and prerequisites (CRUD, filters, roles,
center scoping), a dose's readiness, series proposal and all-or-nothing booking, and the work queue."""

from __future__ import annotations

import datetime as dt

import pytest

from chairs.models import ChairBlock
from scheduling.models import Appointment
from scheduling.services import book_appointment
from tests.api.conftest import client_for
from tests.factories import PatientFactory, UserFactory
from tests.treatment.conftest import at, make_order, monday_in
from treatment.models import Order, PrerequisiteDocument, PriorAuthorization, ProtocolPrerequisite

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_api(front_desk):
    return client_for(front_desk)


@pytest.fixture
def nurse_api(nurse):
    return client_for(nurse)


@pytest.fixture
def admin_api(center_admin):
    return client_for(center_admin)


def test_front_desk_creates_an_order_recorded_with_who(desk_api, front_desk, patient, library):
    response = desk_api.post(
        "/api/v1/orders/",
        {
            "patient": patient.pk,
            "protocol": library["lec"].pk,
            "ordering_provider": "Dr. Alvarez",
            "dose_count": 6,
            "start_date": "2026-11-01",
            "valid_until": "2027-11-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["id"])
    assert order.created_by == front_desk and order.history.latest().history_user == front_desk
    assert response.json()["last_dose_number"] == 6 and response.json()["protocol_code"] == "lec"


def test_order_refuses_an_end_before_its_start_naming_the_field(desk_api, patient, library):
    body = {
        "patient": patient.pk,
        "protocol": library["lec"].pk,
        "ordering_provider": "Dr. Alvarez",
        "start_date": "2026-11-01",
        "valid_until": "2026-10-01",
    }
    response = desk_api.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400 and "valid_until" in response.json()


def test_nurse_may_read_but_not_write_orders(nurse_api, patient, library):
    order = make_order(patient, library["lec"])
    assert nurse_api.get(f"/api/v1/orders/{order.pk}/").status_code == 200
    response = nurse_api.patch(f"/api/v1/orders/{order.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.is_active


def test_another_centers_records_are_404(other_center, library, desk_api):
    stranger = PatientFactory(center=other_center)
    order = make_order(stranger, library["lec"])
    authorization = order.authorizations.get()
    document = PrerequisiteDocument.objects.create(patient=stranger, kind="mri", performed_on=dt.date(2026, 11, 2))
    assert desk_api.get(f"/api/v1/orders/{order.pk}/").status_code == 404
    assert desk_api.get(f"/api/v1/authorizations/{authorization.pk}/").status_code == 404
    assert desk_api.get(f"/api/v1/prerequisite-documents/{document.pk}/").status_code == 404
    assert desk_api.get("/api/v1/orders/").json()["count"] == 0
    response = desk_api.post(
        "/api/v1/prerequisite-documents/",
        {"patient": stranger.pk, "kind": "mri", "performed_on": "2026-11-02"},
        format="json",
    )
    assert response.status_code == 404 and "patient" in response.json()


def test_orders_filter_by_patient_and_validity(desk_api, center, library):
    ann, bob = PatientFactory(center=center), PatientFactory(center=center)
    current = make_order(ann, library["lec"], start=dt.date(2026, 11, 1), until=dt.date(2027, 11, 1))
    make_order(ann, library["ocr"], start=dt.date(2025, 1, 1), until=dt.date(2025, 12, 31))
    make_order(bob, library["lec"])
    listed = desk_api.get("/api/v1/orders/", {"patient": ann.pk, "valid_on": "2026-12-01"}).json()
    assert [o["id"] for o in listed["results"]] == [current.pk]
    assert desk_api.get("/api/v1/orders/", {"valid_on": "9999-01-01"}).status_code == 400


def test_authorization_takes_the_orders_patient_and_needs_dates_when_approved(desk_api, patient, library):
    order = make_order(patient, library["lec"], auth=None)
    refused = desk_api.post(
        "/api/v1/authorizations/", {"order": order.pk, "payer": "Aetna", "status": "approved"}, format="json"
    )
    assert refused.status_code == 400 and "approved_until" in refused.json()
    response = desk_api.post(
        "/api/v1/authorizations/",
        {
            "order": order.pk,
            "payer": "Aetna",
            "status": "approved",
            "approved_from": "2026-11-01",
            "approved_until": "2027-04-30",
            "approved_visits": 6,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["patient"] == patient.pk
    assert PriorAuthorization.objects.get(pk=response.json()["id"]).patient == patient
    listed = desk_api.get("/api/v1/authorizations/", {"status": ["approved", "pending"], "order": order.pk}).json()
    assert listed["count"] == 1


def test_protocol_prerequisites_are_for_center_admins_to_change(admin_api, desk_api, library):
    lec = library["lec"]
    body = {"protocol": lec.pk, "kind": "mri", "applies_to": "listed", "dose_numbers": [9, 9, 4], "window_days": 30}
    assert desk_api.post("/api/v1/protocol-prerequisites/", body, format="json").status_code == 403
    response = admin_api.post("/api/v1/protocol-prerequisites/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["dose_numbers"] == [4, 9]
    assert response.json()["description"] == "MRI within 30 days before doses 4, 9"
    empty = admin_api.post("/api/v1/protocol-prerequisites/", {**body, "dose_numbers": []}, format="json")
    assert empty.status_code == 400 and "dose_numbers" in empty.json()
    listed = desk_api.get("/api/v1/protocol-prerequisites/", {"protocol": lec.pk, "kind": "mri"}).json()
    assert response.json()["id"] in [p["id"] for p in listed["results"]]
    assert ProtocolPrerequisite.objects.get(pk=response.json()["id"]).history.count() == 1


def test_readiness_lists_what_the_dose_misses(nurse_api, staffed, library, patient, nurse):
    lec = library["lec"]
    make_order(patient, lec, start=dt.date.today() - dt.timedelta(days=30))
    day = monday_in(2)
    appointment = book_appointment(
        actor=nurse, patient=patient, protocol=lec, chair=staffed.test_chairs[0], start=at(day, 9), dose_number=1
    )
    body = nurse_api.get(f"/api/v1/appointments/{appointment.pk}/readiness/").json()
    assert body["appointment"] == appointment.pk and body["ready"] is False
    kinds = {item["document_kind"] for item in body["missing"]}
    assert {"amyloid", "apoe4", "mri"} <= kinds
    for kind in ("amyloid", "apoe4", "mri"):
        PrerequisiteDocument.objects.create(patient=patient, kind=kind, performed_on=day - dt.timedelta(days=3))
    assert nurse_api.get(f"/api/v1/appointments/{appointment.pk}/readiness/").json()["ready"] is True


def test_readiness_of_another_centers_appointment_is_404(other_api_of, staffed, library, patient, nurse):
    make_order(patient, library["ept"], start=dt.date.today() - dt.timedelta(days=1))
    appointment = book_appointment(
        actor=nurse,
        patient=patient,
        protocol=library["ept"],
        chair=staffed.test_chairs[0],
        start=at(monday_in(2), 9),
    )
    assert other_api_of.get(f"/api/v1/appointments/{appointment.pk}/readiness/").status_code == 404


@pytest.fixture
def other_api_of(other_center):
    return client_for(UserFactory(role="nurse", center=other_center))


def test_series_propose_books_nothing_and_book_books_it_all(nurse_api, staffed, library, patient):
    order = make_order(patient, library["ecu"], start=dt.date.today(), doses=4)
    PrerequisiteDocument.objects.create(
        patient=patient, kind="meningococcal_vaccine", performed_on=dt.date.today() - dt.timedelta(days=30)
    )
    proposal = nurse_api.post(
        f"/api/v1/orders/{order.pk}/series/propose/", {"first_day": monday_in(3).isoformat()}, format="json"
    ).json()
    assert proposal["is_bookable"] and [d["dose_number"] for d in proposal["doses"]] == [1, 2, 3, 4]
    assert not Appointment.objects.exists()
    doses = [{"dose_number": d["dose_number"], "chair": d["chair"], "start": d["start"]} for d in proposal["doses"]]
    response = nurse_api.post(f"/api/v1/orders/{order.pk}/series/book/", {"doses": doses}, format="json")
    assert response.status_code == 201, response.json()
    booked = response.json()["appointments"]
    assert [a["dose_number"] for a in booked] == [1, 2, 3, 4]
    assert Appointment.objects.filter(patient=patient).count() == 4


def test_series_booking_is_all_or_nothing(nurse_api, staffed, library, patient, nurse):
    order = make_order(patient, library["ecu"], start=dt.date.today(), doses=4)
    PrerequisiteDocument.objects.create(
        patient=patient, kind="meningococcal_vaccine", performed_on=dt.date.today() - dt.timedelta(days=30)
    )
    proposal = nurse_api.post(
        f"/api/v1/orders/{order.pk}/series/propose/", {"first_day": monday_in(3).isoformat()}, format="json"
    ).json()
    third = proposal["doses"][2]
    start = dt.datetime.fromisoformat(third["start"])
    ChairBlock.objects.create(
        chair_id=third["chair"],
        start=start - dt.timedelta(hours=1),
        end=start + dt.timedelta(hours=3),
        reason="Pump service",
    )
    doses = [{"dose_number": d["dose_number"], "chair": d["chair"], "start": d["start"]} for d in proposal["doses"]]
    response = nurse_api.post(f"/api/v1/orders/{order.pk}/series/book/", {"doses": doses}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "chair_blocked" and body["reasons"][0]["message"].startswith("Dose 3:")
    assert not Appointment.objects.filter(patient=patient).exists()


def test_series_book_without_doses_books_the_servers_proposal(nurse_api, staffed, library, patient):
    order = make_order(patient, library["ept"], start=dt.date.today(), doses=2)
    response = nurse_api.post(
        f"/api/v1/orders/{order.pk}/series/book/", {"first_day": monday_in(2).isoformat()}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert Appointment.objects.filter(patient=patient).count() == 2


def test_only_roles_that_book_may_use_the_series_endpoints(patient, library, center):
    order = make_order(patient, library["ept"], start=dt.date.today(), doses=2)
    system = client_for(UserFactory(role="system_admin", center=center))
    response = system.post(f"/api/v1/orders/{order.pk}/series/book/", {}, format="json")
    assert response.status_code == 403 and not Appointment.objects.exists()


def test_work_queue_lists_doses_not_ready_with_what_is_missing(desk_api, staffed, library, patient, nurse):
    ept = library["ept"]
    ready_patient = PatientFactory(center=staffed)
    make_order(ready_patient, ept, start=dt.date.today() - dt.timedelta(days=1))
    make_order(patient, ept, start=dt.date.today() - dt.timedelta(days=1), auth="pending")
    day = monday_in(1)
    ready = book_appointment(
        actor=nurse, patient=ready_patient, protocol=ept, chair=staffed.test_chairs[0], start=at(day, 9)
    )
    waiting = book_appointment(
        actor=nurse, patient=patient, protocol=ept, chair=staffed.test_chairs[1], start=at(day, 9)
    )
    body = desk_api.get("/api/v1/work-queue/", {"center": staffed.pk}).json()
    ids = [entry["appointment"] for entry in body["results"]]
    assert waiting.pk in ids and ready.pk not in ids
    entry = body["results"][ids.index(waiting.pk)]
    assert entry["kinds"] == ["authorization"] and entry["missing"][0]["is_acknowledgeable"] is True
    assert desk_api.get("/api/v1/work-queue/", {"center": staffed.pk, "kind": "order"}).json()["count"] == 0
    assert desk_api.get("/api/v1/work-queue/", {"center": 10**9}).status_code == 404
