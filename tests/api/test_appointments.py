"""Booking, the 409 refusals with their reasons, the state machine actions, idempotency and scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from scheduling.models import Appointment, AppointmentStatus, IdempotencyKey
from tests.api.conftest import DAY, at, booking, iso
from tests.factories import AppointmentFactory, ChairBlockFactory, ChairFactory, PatientFactory, ProtocolFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def test_book_derives_end_and_returns_201(nurse_api, shift, patient, protocol, chair):
    response = nurse_api.post(URL, booking(patient, protocol, chair, at(9)), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    minutes = protocol.chair_minutes(3)
    assert body["status"] == "booked"
    assert dt.datetime.fromisoformat(body["end"]) == at(9) + dt.timedelta(minutes=minutes)
    assert body["start"] == at(9).isoformat()  # shown in the center's time zone, with its offset
    assert "check-in" in body["allowed_actions"]
    appointment = Appointment.objects.get()
    assert appointment.booked_by.username == "nina.nurse"
    assert appointment.end - appointment.start == dt.timedelta(minutes=minutes)


def test_start_in_utc_is_accepted(nurse_api, shift, patient, protocol, chair):
    start = at(9).astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    response = nurse_api.post(URL, {**booking(patient, protocol, chair, at(9)), "start": start}, format="json")
    assert response.status_code == 201


def test_front_desk_may_book(desk_api, shift, patient, protocol, chair):
    assert desk_api.post(URL, booking(patient, protocol, chair, at(9)), format="json").status_code == 201


def test_chair_taken_is_409_with_reason(nurse_api, shift, patient, protocol, chair, center):
    AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    response = nurse_api.post(URL, booking(patient, protocol, chair, at(10)), format="json")
    assert response.status_code == 409
    body = response.json()
    assert "chair_taken" in [r["code"] for r in body["reasons"]]
    assert body["detail"]


def test_chair_blocked_is_409(nurse_api, shift, patient, protocol, chair):
    ChairBlockFactory(chair=chair, start=at(8), end=at(12))
    response = nurse_api.post(URL, booking(patient, protocol, chair, at(9)), format="json")
    assert response.status_code == 409
    assert "chair_blocked" in [r["code"] for r in response.json()["reasons"]]


def test_outside_opening_hours_is_409(nurse_api, shift, patient, protocol, chair):
    response = nurse_api.post(URL, booking(patient, protocol, chair, at(17)), format="json")
    assert response.status_code == 409
    assert "outside_hours" in [r["code"] for r in response.json()["reasons"]]


def test_closed_day_is_409(nurse_api, shift, patient, protocol, chair):
    saturday = DAY + dt.timedelta(days=5)
    response = nurse_api.post(URL, booking(patient, protocol, chair, at(9, day=saturday)), format="json")
    assert response.status_code == 409
    codes = [r["code"] for r in response.json()["reasons"]]
    assert "closed" in codes or "outside_hours" in codes


def test_chair_lacking_feature_is_409(nurse_api, shift, patient, center):
    protocol = ProtocolFactory(code="iso", required_features=["isolation"])
    plain = ChairFactory(center=center, label="P1", features=[])
    response = nurse_api.post(URL, booking(patient, protocol, plain, at(9)), format="json")
    assert response.status_code == 409
    assert "chair_lacks_features" in [r["code"] for r in response.json()["reasons"]]


def test_no_nurse_on_shift_is_409(nurse_api, patient, protocol, chair):
    response = nurse_api.post(URL, booking(patient, protocol, chair, at(9)), format="json")
    assert response.status_code == 409
    assert "no_nurse_on_shift" in [r["code"] for r in response.json()["reasons"]]


def test_nurse_start_capacity_is_409(nurse_api, shift, protocol, chairs, center):
    # One nurse may start two infusions per 30-minute window.
    for chair in chairs[:2]:
        patient = PatientFactory(center=center)
        assert nurse_api.post(URL, booking(patient, protocol, chair, at(9)), format="json").status_code == 201
    patient = PatientFactory(center=center)
    response = nurse_api.post(URL, booking(patient, protocol, chairs[2], at(9, 15)), format="json")
    assert response.status_code == 409
    assert "nurse_start_full" in [r["code"] for r in response.json()["reasons"]]


def test_nurse_watch_capacity_is_409(nurse_api, shift, protocol, chairs, center):
    # One nurse watches at most four patients at once.
    starts = [at(7), at(7), at(7, 30), at(7, 30)]
    for chair, start in zip(chairs[:4], starts, strict=True):
        patient = PatientFactory(center=center)
        assert nurse_api.post(URL, booking(patient, protocol, chair, start), format="json").status_code == 201
    patient = PatientFactory(center=center)
    response = nurse_api.post(URL, booking(patient, protocol, chairs[4], at(8)), format="json")
    assert response.status_code == 409
    assert "nurse_watch_full" in [r["code"] for r in response.json()["reasons"]]


@pytest.mark.parametrize(
    "start,message_part",
    [
        ("2026-12-07T09:00:00", "offset"),
        ("2026-12-07 09:00", "offset"),
        ("not a date", "ISO 8601"),
        ("2026-13-45T09:00:00-05:00", "ISO 8601"),
        ("0001-01-01T00:00:00+14:00", "between"),
        ("9999-12-31T23:59:59-12:00", "between"),
        ("", "ISO 8601"),
    ],
)
def test_malformed_or_naive_start_is_400_naming_the_field(nurse_api, patient, protocol, chair, start, message_part):
    response = nurse_api.post(URL, {**booking(patient, protocol, chair, at(9)), "start": start}, format="json")
    assert response.status_code == 400
    assert message_part in " ".join(response.json()["start"])


@pytest.mark.parametrize(
    "field,value",
    [
        ("dose_number", 0),
        ("dose_number", -1),
        ("dose_number", 10**12),
        ("dose_number", "two"),
        ("patient", "abc"),
        ("chair", None),
        ("notes", "x" * 5000),
    ],
)
def test_bad_booking_fields_are_400(nurse_api, patient, protocol, chair, field, value):
    response = nurse_api.post(URL, {**booking(patient, protocol, chair, at(9)), field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_missing_fields_are_named(nurse_api):
    response = nurse_api.post(URL, {}, format="json")
    assert response.status_code == 400
    assert {"patient", "protocol", "chair", "start"} <= set(response.json())


@pytest.mark.parametrize("field", ["patient", "protocol", "chair"])
def test_unknown_ids_are_404_naming_the_field(nurse_api, patient, protocol, chair, field):
    response = nurse_api.post(URL, {**booking(patient, protocol, chair, at(9)), field: 999999}, format="json")
    assert response.status_code == 404
    assert field in response.json()


def test_other_centers_patient_and_chair_are_404(nurse_api, protocol, chair, patient, other_center, other_patient):
    other_chair = ChairFactory(center=other_center, label="X1")
    response = nurse_api.post(URL, booking(other_patient, protocol, chair, at(9)), format="json")
    assert response.status_code == 404 and "patient" in response.json()
    response = nurse_api.post(URL, booking(patient, protocol, other_chair, at(9)), format="json")
    assert response.status_code == 404 and "chair" in response.json()
    assert not Appointment.objects.exists()


def test_other_centers_appointment_is_404(other_api, center, chair, protocol):
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    assert other_api.get(f"{URL}{appointment.pk}/").status_code == 404
    assert other_api.post(f"{URL}{appointment.pk}/check-in/").status_code == 404
    assert (
        other_api.post(f"{URL}{appointment.pk}/cancel/", {"cancelled_by": "center"}, format="json").status_code == 404
    )
    assert other_api.get(URL).json()["count"] == 0
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_list_filters(nurse_api, center, chair, protocol, patient):
    other_chair = ChairFactory(center=center, label="C09")
    a = AppointmentFactory(center=center, chair=chair, protocol=protocol, patient=patient, start=at(9))
    b = AppointmentFactory(
        center=center, chair=other_chair, protocol=protocol, start=at(9, day=DAY + dt.timedelta(days=1))
    )
    c = AppointmentFactory(
        center=center, chair=chair, protocol=protocol, start=at(9, day=DAY + dt.timedelta(days=2)), status="cancelled"
    )

    def ids(query: str) -> set[int]:
        response = nurse_api.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return {row["id"] for row in response.json()["results"]}

    assert ids(f"center={center.pk}") == {a.pk, b.pk, c.pk}
    assert ids(f"chair={chair.pk}") == {a.pk, c.pk}
    assert ids(f"patient={patient.pk}") == {a.pk}
    assert ids("status=cancelled") == {c.pk}
    assert ids("status=booked&status=cancelled") == {a.pk, b.pk, c.pk}
    assert ids(f"date_from={DAY}&date_to={DAY}") == {a.pk}
    assert ids(f"date={DAY}") == {a.pk}
    assert ids(f"date_from={DAY + dt.timedelta(days=1)}") == {b.pk, c.pk}
    assert ids("active=true") == {a.pk, b.pk}
    start_after = iso(at(12)).replace("+", "%2B")
    assert ids(f"start_after={start_after}") == {b.pk, c.pk}
    rows = nurse_api.get(f"{URL}?ordering=-start").json()["results"]
    assert [r["id"] for r in rows] == [c.pk, b.pk, a.pk]
    page = nurse_api.get(f"{URL}?limit=1&offset=1").json()
    assert page["count"] == 3 and len(page["results"]) == 1


@pytest.mark.parametrize(
    "query,field",
    [
        ("date_from=2026-12-10&date_to=2026-12-01", "date_to"),
        ("date_from=yesterday", "date_from"),
        ("start_after=2026-12-07T09:00:00", "start_after"),
        ("status=unknown", "status"),
        ("chair=abc", "chair"),
    ],
)
def test_list_filter_errors_are_400(nurse_api, query, field):
    response = nurse_api.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_whole_day_through_the_state_machine(nurse_api, center, chair, protocol):
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    base = f"{URL}{appointment.pk}"
    for action, status, stage in [
        ("check-in", "arrived", ""),
        ("seat", "checked-in", "in_chair"),
        ("start-infusion", "checked-in", "infusing"),
        ("start-observation", "checked-in", "observation"),
        ("complete", "fulfilled", ""),
    ]:
        # Discharged minutes after the start: early, so with the reason.
        data = {"reason": "Infusion stopped: reaction"} if action == "complete" else {}
        response = nurse_api.post(f"{base}/{action}/", data, format="json")
        assert response.status_code == 200, (action, response.json())
        assert (response.json()["status"], response.json()["chair_stage"]) == (status, stage)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.FULFILLED
    assert appointment.discharged_at is not None
    assert appointment.history.first().history_user.username == "nina.nurse"


def test_invalid_transition_is_409(nurse_api, center, chair, protocol):
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    response = nurse_api.post(f"{URL}{appointment.pk}/complete/")
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["detail"]


def test_no_show_only_after_grace(desk_api, center, chair, protocol):
    future = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    response = desk_api.post(f"{URL}{future.pk}/no-show/")
    assert response.status_code == 409 and response.json()["code"] == "noshow_too_early"
    past_start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)
    past = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=past_start)
    response = desk_api.post(f"{URL}{past.pk}/no-show/")
    assert response.status_code == 200 and response.json()["status"] == "noshow"


def test_cancel_needs_who_and_frees_the_chair(desk_api, nurse_api, shift, center, chair, protocol, patient):
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    response = desk_api.post(f"{URL}{appointment.pk}/cancel/", {}, format="json")
    assert response.status_code == 400 and "cancelled_by" in response.json()
    response = desk_api.post(
        f"{URL}{appointment.pk}/cancel/", {"cancelled_by": "patient", "reason": "Has a cold"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["cancel_reason"] == "Has a cold"
    assert nurse_api.post(URL, booking(patient, protocol, chair, at(9)), format="json").status_code == 201
    again = desk_api.post(f"{URL}{appointment.pk}/cancel/", {"cancelled_by": "patient"}, format="json")
    assert again.status_code == 409


def test_reschedule_moves_or_refuses(nurse_api, shift, center, chair, protocol, patient):
    other_chair = ChairFactory(center=center, label="C02")
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol, patient=patient, start=at(9))
    blocker = AppointmentFactory(center=center, chair=other_chair, protocol=protocol, start=at(7))
    response = nurse_api.post(
        f"{URL}{appointment.pk}/reschedule/", {"chair": other_chair.pk, "start": iso(at(8))}, format="json"
    )
    assert response.status_code == 409
    assert "chair_taken" in [r["code"] for r in response.json()["reasons"]]
    response = nurse_api.post(f"{URL}{appointment.pk}/reschedule/", {"start": iso(at(10))}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["start"] == at(10).isoformat()
    response = nurse_api.post(f"{URL}{appointment.pk}/reschedule/", {"start": "2026-12-07T10:00"}, format="json")
    assert response.status_code == 400 and "start" in response.json()
    assert blocker.pk


def test_patch_changes_only_notes(nurse_api, center, chair, protocol):
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    response = nurse_api.patch(
        f"{URL}{appointment.pk}/", {"notes": "Window seat", "status": "fulfilled"}, format="json"
    )
    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.notes == "Window seat" and appointment.status == "booked"


def test_delete_is_not_offered(admin_api, center, chair, protocol):
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    assert admin_api.delete(f"{URL}{appointment.pk}/").status_code == 405


# --- Idempotency -----------------------------------------------------------------------------


def test_idempotency_key_replays_the_first_response(nurse_api, shift, patient, protocol, chair):
    body = booking(patient, protocol, chair, at(9))
    first = nurse_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="book-123")
    second = nurse_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="book-123")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Appointment.objects.count() == 1


def test_idempotency_key_with_another_body_is_refused(nurse_api, shift, patient, protocol, chair):
    nurse_api.post(URL, booking(patient, protocol, chair, at(9)), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    response = nurse_api.post(URL, booking(patient, protocol, chair, at(11)), format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Appointment.objects.count() == 1


def test_idempotency_replays_a_refusal_too(nurse_api, patient, protocol, chair):
    body = booking(patient, protocol, chair, at(9))
    first = nurse_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    second = nurse_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k2")
    assert first.status_code == second.status_code == 409
    assert first.json() == second.json()


def test_idempotency_keys_belong_to_their_user(nurse_api, desk_api, shift, patient, protocol, chair):
    body = booking(patient, protocol, chair, at(9))
    assert nurse_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code == 201
    response = desk_api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 409  # a new request for the desk user: the chair is taken
    assert IdempotencyKey.objects.count() == 2


def test_idempotent_action_replays(desk_api, center, chair, protocol):
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    first = desk_api.post(f"{URL}{appointment.pk}/check-in/", HTTP_IDEMPOTENCY_KEY="arrive-1")
    second = desk_api.post(f"{URL}{appointment.pk}/check-in/", HTTP_IDEMPOTENCY_KEY="arrive-1")
    assert first.status_code == second.status_code == 200


def test_bad_idempotency_key_is_400(nurse_api, patient, protocol, chair):
    response = nurse_api.post(
        URL, booking(patient, protocol, chair, at(9)), format="json", HTTP_IDEMPOTENCY_KEY="x" * 300
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()


# --- Readiness and seating -----------------------------------------------------------------------


@pytest.fixture
def readiness_on(settings):
    settings.BOOKING_REQUIRES_ORDER = True


def test_dose_that_cannot_be_ready_is_409(readiness_on, nurse_api, shift, patient, protocol, chair):
    response = nurse_api.post(URL, booking(patient, protocol, chair, at(9)), format="json")
    assert response.status_code == 409
    assert "no_order" in [r["code"] for r in response.json()["reasons"]]


def test_only_a_center_admin_may_override_readiness(
    readiness_on, nurse_api, admin_api, shift, patient, protocol, chair
):
    body = booking(patient, protocol, chair, at(9), readiness_override_reason="Order faxed, entering tomorrow")
    refused = nurse_api.post(URL, body, format="json")
    assert refused.status_code == 409
    assert "override_not_allowed" in [r["code"] for r in refused.json()["reasons"]]
    response = admin_api.post(URL, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["readiness_override_reason"] == "Order faxed, entering tomorrow"
    assert isinstance(response.json()["readiness_warnings"], list)


def test_seat_on_another_chair(nurse_api, shift, center, chair, protocol):
    other = ChairFactory(center=center, label="C02")
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9), status="arrived")
    response = nurse_api.post(f"{URL}{appointment.pk}/seat/", {"chair": other.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["chair"] == other.pk and response.json()["chair_stage"] == "in_chair"


# --- Reminders -----------------------------------------------------------------------------------


def test_reminders_of_a_booked_appointment(nurse_api, other_api, shift, patient, protocol, chair):
    appointment_id = nurse_api.post(URL, booking(patient, protocol, chair, at(9)), format="json").json()["id"]
    response = nurse_api.get(f"{URL}{appointment_id}/reminders/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["appointment"] == appointment_id
    assert {r["kind"] for r in body["reminders"]} >= {"24h"}
    assert all(r["status"] == "pending" and r["channel"] == "sms" for r in body["reminders"])
    assert body["replies"] == []
    assert other_api.get(f"{URL}{appointment_id}/reminders/").status_code == 404


def test_malformed_bodies_are_4xx_json(nurse_api):
    assert nurse_api.post(URL, "{bad json", content_type="application/json").status_code == 400
    assert nurse_api.post(URL, "[1, 2]", content_type="application/json").status_code == 400
    response = nurse_api.post(URL, "x" * 3_000_000, content_type="application/json")
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert nurse_api.post(URL, "<xml/>", content_type="application/xml").status_code == 415


def test_a_start_in_the_past_is_refused_as_such(nurse_api, shift, patient, protocol, chair):
    yesterday = timezone.now() - dt.timedelta(days=1)
    response = nurse_api.post(URL, booking(patient, protocol, chair, yesterday), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "in_the_past"
    assert not Appointment.objects.exists()


def test_early_discharge_without_a_reason_is_409(nurse_api, center, chair, protocol):
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    base = f"{URL}{appointment.pk}"
    for action in ("check-in", "seat", "start-infusion"):
        assert nurse_api.post(f"{base}/{action}/").status_code == 200
    response = nurse_api.post(f"{base}/complete/")
    assert response.status_code == 409 and response.json()["code"] == "early_discharge"
