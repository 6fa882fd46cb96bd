"""CRUD for centers, chairs, chair blocks, shifts, protocols and patients: roles, scoping, validation."""

from __future__ import annotations

import pytest

from chairs.models import Chair, ChairBlock, NurseShift
from scheduling.models import Protocol
from tests.api.conftest import at, iso
from tests.factories import AppointmentFactory, ChairBlockFactory, ChairFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- Centers -------------------------------------------------------------------------------------


def test_center_shows_hours_and_staffing_rules(nurse_api, center, other_center):
    body = nurse_api.get("/api/v1/centers/").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == center.pk
    assert row["slot_minutes"] == 15 and row["patients_per_nurse"] == 4 and row["starts_per_nurse_per_window"] == 2
    assert [h["weekday"] for h in row["opening_hours"]] == [0, 1, 2, 3, 4]
    assert row["opening_hours"][0] == {"weekday": 0, "opens": "07:00:00", "closes": "19:00:00"}
    assert nurse_api.get(f"/api/v1/centers/{other_center.pk}/").status_code == 404


def test_admin_changes_center_settings_and_hours(admin_api, center):
    response = admin_api.patch(
        f"/api/v1/centers/{center.pk}/",
        {
            "patients_per_nurse": 3,
            "slot_minutes": 10,
            "start_window_minutes": 30,
            "opening_hours": [{"weekday": 5, "opens": "08:00", "closes": "12:00"}],
            "closures": [{"date": "2026-12-25", "reason": "Christmas"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    center.refresh_from_db()
    assert center.patients_per_nurse == 3 and center.slot_minutes == 10
    assert [h.weekday for h in center.opening_hours.all()] == [5]
    assert center.closures.get().reason == "Christmas"


@pytest.mark.parametrize(
    "change,field",
    [
        ({"slot_minutes": 0}, "slot_minutes"),
        ({"slot_minutes": 7}, "start_window_minutes"),
        ({"patients_per_nurse": -1}, "patients_per_nurse"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"name": "x" * 500}, "name"),
        ({"phone": "12"}, "phone"),
        ({"opening_hours": [{"weekday": 0, "opens": "12:00", "closes": "08:00"}]}, "opening_hours"),
        ({"opening_hours": [{"weekday": 9, "opens": "08:00", "closes": "12:00"}]}, "opening_hours"),
        ({"reminder_offsets_hours": [0]}, "reminder_offsets_hours"),
    ],
)
def test_bad_center_settings_are_400(admin_api, center, change, field):
    response = admin_api.patch(f"/api/v1/centers/{center.pk}/", change, format="json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("client_name", ["desk_api", "nurse_api"])
def test_front_desk_and_nurses_cannot_change_center_settings(request, center, client_name):
    client = request.getfixturevalue(client_name)
    assert client.patch(f"/api/v1/centers/{center.pk}/", {"slot_minutes": 30}, format="json").status_code == 403
    center.refresh_from_db()
    assert center.slot_minutes == 15


def test_admin_cannot_change_another_center(admin_api, other_center):
    assert (
        admin_api.patch(f"/api/v1/centers/{other_center.pk}/", {"slot_minutes": 30}, format="json").status_code == 404
    )


# --- Chairs --------------------------------------------------------------------------------------


def test_admin_manages_chairs(admin_api, center):
    response = admin_api.post(
        "/api/v1/chairs/",
        {"center": center.pk, "label": "B01", "kind": "bed", "features": ["pump", "near_station", "pump"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    chair_id = response.json()["id"]
    assert response.json()["features"] == ["near_station", "pump"]
    duplicate = admin_api.post("/api/v1/chairs/", {"center": center.pk, "label": "B01"}, format="json")
    assert duplicate.status_code == 400
    assert admin_api.patch(f"/api/v1/chairs/{chair_id}/", {"is_active": False}, format="json").status_code == 200
    assert admin_api.delete(f"/api/v1/chairs/{chair_id}/").status_code == 204
    assert not Chair.objects.filter(pk=chair_id).exists()


def test_chair_filters_and_ordering(nurse_api, center):
    ChairFactory(center=center, label="C02", features=["isolation"])
    ChairFactory(center=center, label="C01", features=[])
    ChairFactory(center=center, label="B01", kind="bed", is_active=False)
    labels = lambda q: [c["label"] for c in nurse_api.get(f"/api/v1/chairs/?{q}").json()["results"]]  # noqa: E731
    assert labels("feature=isolation") == ["C02"]
    assert labels("kind=bed") == ["B01"]
    assert labels("is_active=true&ordering=-label") == ["C02", "C01"]
    assert labels("search=B0") == ["B01"]
    assert nurse_api.get("/api/v1/chairs/?feature=jacuzzi").status_code == 400


@pytest.mark.parametrize("client_name", ["desk_api", "nurse_api"])
def test_front_desk_and_nurses_cannot_change_chairs(request, center, chair, client_name):
    client = request.getfixturevalue(client_name)
    assert client.post("/api/v1/chairs/", {"center": center.pk, "label": "Z9"}, format="json").status_code == 403
    assert client.patch(f"/api/v1/chairs/{chair.pk}/", {"label": "Z"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/chairs/{chair.pk}/").status_code == 403
    assert client.get(f"/api/v1/chairs/{chair.pk}/").status_code == 200


def test_chairs_of_other_centers_are_404(admin_api, other_center):
    foreign = ChairFactory(center=other_center, label="F1")
    assert admin_api.get(f"/api/v1/chairs/{foreign.pk}/").status_code == 404
    assert admin_api.delete(f"/api/v1/chairs/{foreign.pk}/").status_code == 404
    response = admin_api.post("/api/v1/chairs/", {"center": other_center.pk, "label": "Mine"}, format="json")
    assert response.status_code == 404 and "center" in response.json()


def test_chair_with_appointments_cannot_be_deleted(admin_api, center, chair, protocol):
    AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    response = admin_api.delete(f"/api/v1/chairs/{chair.pk}/")
    assert response.status_code == 409
    assert response.json()["code"] == "protected"


def test_bad_chair_is_400(admin_api, center):
    response = admin_api.post(
        "/api/v1/chairs/", {"center": center.pk, "label": "L" * 41, "kind": "sofa", "features": "pump"}, format="json"
    )
    assert response.status_code == 400
    assert {"label", "kind", "features"} <= set(response.json())


# --- Chair blocks ----------------------------------------------------------------------------------


def test_nurse_blocks_a_chair(nurse_api, chair):
    response = nurse_api.post(
        "/api/v1/chair-blocks/",
        {"chair": chair.pk, "start": iso(at(9)), "end": iso(at(11)), "reason": "Pump service"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["start"] == at(9).isoformat()
    assert ChairBlock.objects.get().reason == "Pump service"


def test_front_desk_cannot_block_chairs(desk_api, chair):
    response = desk_api.post(
        "/api/v1/chair-blocks/", {"chair": chair.pk, "start": iso(at(9)), "end": iso(at(11)), "reason": "x"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "start,end,field",
    [
        ("2026-12-07T09:00:00", "2026-12-07T11:00:00-05:00", "start"),
        ("2026-12-07T11:00:00-05:00", "2026-12-07T09:00:00-05:00", "end"),
        ("2026-12-07T09:00:00-05:00", "tomorrow", "end"),
    ],
)
def test_bad_block_times_are_400(nurse_api, chair, start, end, field):
    response = nurse_api.post(
        "/api/v1/chair-blocks/", {"chair": chair.pk, "start": start, "end": end, "reason": "x"}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()


def test_block_filters_and_scoping(nurse_api, other_api, chair, other_center):
    mine = ChairBlockFactory(chair=chair, start=at(9), end=at(10))
    foreign = ChairBlockFactory(chair=ChairFactory(center=other_center, label="F1"), start=at(9), end=at(10))
    after = iso(at(9, 30)).replace("+", "%2B")
    rows = nurse_api.get(f"/api/v1/chair-blocks/?chair={chair.pk}&ends_after={after}").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert nurse_api.get(f"/api/v1/chair-blocks/{foreign.pk}/").status_code == 404
    assert other_api.delete(f"/api/v1/chair-blocks/{mine.pk}/").status_code == 404
    assert nurse_api.get("/api/v1/chair-blocks/?ends_after=2026-12-07T09:00").status_code == 400


# --- Shifts --------------------------------------------------------------------------------------


def test_admin_plans_shifts(admin_api, center, nurse):
    body = {"center": center.pk, "nurse": nurse.pk, "start": iso(at(7)), "end": iso(at(19))}
    response = admin_api.post("/api/v1/shifts/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["nurse_name"]
    overlapping = admin_api.post("/api/v1/shifts/", {**body, "start": iso(at(12))}, format="json")
    assert overlapping.status_code == 400 and "start" in overlapping.json()
    assert NurseShift.objects.count() == 1


def test_shift_needs_a_nurse_of_the_center(admin_api, center, other_center):
    stranger = UserFactory(role="nurse", center=other_center)
    body = {"center": center.pk, "nurse": stranger.pk, "start": iso(at(7)), "end": iso(at(19))}
    response = admin_api.post("/api/v1/shifts/", body, format="json")
    assert response.status_code in (400, 404) and "nurse" in response.json()


@pytest.mark.parametrize("client_name", ["desk_api", "nurse_api"])
def test_front_desk_and_nurses_cannot_change_shifts(request, center, nurse, shift, client_name):
    client = request.getfixturevalue(client_name)
    body = {"center": center.pk, "nurse": nurse.pk, "start": iso(at(20)), "end": iso(at(21))}
    assert client.post("/api/v1/shifts/", body, format="json").status_code == 403
    assert client.delete(f"/api/v1/shifts/{shift.pk}/").status_code == 403
    assert client.get("/api/v1/shifts/").json()["count"] == 1


def test_shifts_of_other_centers_are_404(other_api, shift):
    assert other_api.get(f"/api/v1/shifts/{shift.pk}/").status_code == 404
    assert other_api.get("/api/v1/shifts/").json()["count"] == 0


# --- Protocols -----------------------------------------------------------------------------------

PROTOCOL = {
    "code": "nat",
    "name": "Natalizumab",
    "drug": "natalizumab",
    "first_dose_infusion_minutes": 60,
    "later_dose_infusion_minutes": 60,
    "observation_minutes": 60,
    "interval_days": 28,
    "interval_window_days": 3,
    "required_features": ["pump"],
}


def test_admin_adds_a_protocol(admin_api):
    response = admin_api.post("/api/v1/protocols/", PROTOCOL, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["first_dose_chair_minutes"] == 10 + 60 + 60
    assert Protocol.objects.get(code="nat").required_features == ["pump"]


@pytest.mark.parametrize(
    "change,field",
    [
        ({"first_dose_infusion_minutes": -30}, "first_dose_infusion_minutes"),
        ({"first_dose_infusion_minutes": 0}, "first_dose_infusion_minutes"),
        ({"observation_minutes": -1}, "observation_minutes"),
        ({"setup_minutes": 10**9}, "setup_minutes"),
        ({"name": "n" * 121}, "name"),
        ({"code": "has spaces"}, "code"),
        ({"interval_window_days": 20}, "interval_window_days"),
        ({"required_features": ["teleporter"]}, "required_features"),
        ({"notes": "n" * 10001}, "notes"),
    ],
)
def test_bad_protocols_are_400(admin_api, change, field):
    response = admin_api.post("/api/v1/protocols/", {**PROTOCOL, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("client_name", ["desk_api", "nurse_api"])
def test_front_desk_and_nurses_cannot_change_protocols(request, protocol, client_name):
    client = request.getfixturevalue(client_name)
    assert client.post("/api/v1/protocols/", PROTOCOL, format="json").status_code == 403
    assert client.patch(f"/api/v1/protocols/{protocol.pk}/", {"name": "X"}, format="json").status_code == 403
    assert client.get(f"/api/v1/protocols/{protocol.pk}/").status_code == 200


# --- Patients ------------------------------------------------------------------------------------


def test_search_patients_by_name_mrn_and_date_of_birth(desk_api, center, other_center):
    import datetime as dt

    maria = PatientFactory(
        center=center, first_name="Maria", last_name="Lopez", mrn="MRN777", date_of_birth=dt.date(1970, 3, 4)
    )
    PatientFactory(center=center, first_name="John", last_name="Smith", mrn="MRN888")
    PatientFactory(center=other_center, first_name="Maria", last_name="Lopez", mrn="MRN999")

    def found(query: str) -> list[int]:
        response = desk_api.get(f"/api/v1/patients/?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    assert found("search=maria") == [maria.pk]
    assert found("search=lopez maria") == [maria.pk]
    assert found("search=MRN777") == [maria.pk]
    assert found("search=1970-03-04") == [maria.pk]
    assert found("search=03/04/1970") == [maria.pk]
    assert found("date_of_birth=1970-03-04") == [maria.pk]
    assert found("mrn=mrn777") == [maria.pk]
    assert found("name=lop") == [maria.pk]
    assert found("search=nobody") == []
    assert found("q=maria lopez") == [maria.pk]
    assert desk_api.get("/api/v1/patients/?search=" + "x" * 300).status_code == 400
    assert desk_api.get("/api/v1/patients/?date_of_birth=someday").status_code == 400


def test_register_and_change_a_patient(desk_api, center):
    body = {
        "center": center.pk,
        "mrn": "MRN123",
        "first_name": "Ana",
        "last_name": "Silva",
        "date_of_birth": "1980-01-02",
        "phone": "(617) 555-0142",
        "has_reminder_consent": True,
        "reminder_channel": "sms",
    }
    response = desk_api.post("/api/v1/patients/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == "+16175550142"
    patient_id = response.json()["id"]
    assert desk_api.post("/api/v1/patients/", body, format="json").status_code == 400  # MRN taken
    response = desk_api.patch(f"/api/v1/patients/{patient_id}/", {"is_sms_opted_out": True}, format="json")
    assert response.status_code == 200 and response.json()["is_sms_opted_out"] is True
    assert desk_api.delete(f"/api/v1/patients/{patient_id}/").status_code == 403


@pytest.mark.parametrize(
    "change,field",
    [
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "01-02"}, "date_of_birth"),
        ({"phone": "not a phone"}, "phone"),
        ({"phone": "", "reminder_channel": "sms", "has_reminder_consent": True}, "phone"),
        ({"email": "nope"}, "email"),
        ({"first_name": "a" * 81}, "first_name"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
        ({"mrn": ""}, "mrn"),
        ({"center": "one"}, "center"),
        ({"first_name": "nul\x00byte"}, "first_name"),
    ],
)
def test_bad_patients_are_400(desk_api, center, change, field):
    body = {
        "center": center.pk,
        "mrn": "MRN55",
        "first_name": "Ana",
        "last_name": "Silva",
        "date_of_birth": "1980-01-02",
        "phone": "+16175550142",
        **change,
    }
    response = desk_api.post("/api/v1/patients/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_patients_of_other_centers_are_404(desk_api, other_patient, center):
    assert desk_api.get(f"/api/v1/patients/{other_patient.pk}/").status_code == 404
    assert desk_api.patch(f"/api/v1/patients/{other_patient.pk}/", {"notes": "x"}, format="json").status_code == 404
    assert desk_api.get("/api/v1/patients/").json()["count"] == 0


def test_patient_with_appointments_cannot_be_deleted(admin_api, center, chair, protocol, patient):
    AppointmentFactory(center=center, chair=chair, protocol=protocol, patient=patient, start=at(9))
    assert admin_api.delete(f"/api/v1/patients/{patient.pk}/").status_code == 409


def test_pagination_limits(desk_api, center):
    PatientFactory.create_batch(3, center=center)
    body = desk_api.get("/api/v1/patients/?limit=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    for bad in ("offset=99999999999999999999", "offset=-1", "offset=2.5", "limit=0", "limit=501", "limit=ten"):
        response = desk_api.get(f"/api/v1/patients/?{bad}")
        assert response.status_code == 400 and bad.split("=")[0] in response.json()
    assert desk_api.get("/api/v1/patients/?ordering=nonsense").status_code == 200


def test_patch_with_incomplete_nested_entries_is_400(admin_api, center):
    response = admin_api.patch(f"/api/v1/centers/{center.pk}/", {"closures": [{"reason": ""}]}, format="json")
    assert response.status_code == 400 and "closures" in response.json()
    response = admin_api.patch(f"/api/v1/centers/{center.pk}/", {"opening_hours": [{"weekday": 1}]}, format="json")
    assert response.status_code == 400 and "opening_hours" in response.json()
