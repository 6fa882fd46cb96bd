"""GET /api/v1/availability/: the planner's ranked candidates, per-day reasons and strict validation."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api.conftest import DAY, at
from tests.factories import AppointmentFactory, ProtocolFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/availability/"


def query(center, protocol, /, **params) -> dict:
    return {"center": center.pk, "protocol": protocol.pk, "date_from": DAY, "date_to": DAY} | params


def test_candidates_are_ranked_and_inside_the_day(nurse_api, shift, center, chairs, protocol):
    response = nurse_api.get(URL, query(center, protocol, dose_number=3, limit=5))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["chair_minutes"] == protocol.chair_minutes(3)
    candidates = body["candidates"]
    assert 1 <= len(candidates) <= 5
    scores = [c["score"] for c in candidates]
    assert scores == sorted(scores)  # lower is better; one day, no preferences: ranked by score
    for candidate in candidates:
        start, end = dt.datetime.fromisoformat(candidate["start"]), dt.datetime.fromisoformat(candidate["end"])
        assert start.utcoffset() == at(9).utcoffset()  # shown in the center's zone
        assert end - start == dt.timedelta(minutes=protocol.chair_minutes(3))
        assert at(7) <= start and end <= at(19)
        assert candidate["chair"] in {c.pk for c in chairs}
        assert candidate["chair_label"] and candidate["reason"]
    assert body["days"][0]["date"] == DAY.isoformat()
    assert body["days"][0]["candidate_count"] >= len(candidates)


def test_a_candidate_can_be_booked(nurse_api, shift, center, chairs, protocol, patient):
    candidate = nurse_api.get(URL, query(center, protocol, dose_number=3, limit=1)).json()["candidates"][0]
    response = nurse_api.post(
        "/api/v1/appointments/",
        {
            "patient": patient.pk,
            "protocol": protocol.pk,
            "chair": candidate["chair"],
            "start": candidate["start"],
            "dose_number": 3,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_days_without_candidates_say_why(nurse_api, shift, center, chair, protocol):
    saturday = DAY + dt.timedelta(days=5)
    response = nurse_api.get(URL, query(center, protocol, date_from=saturday, date_to=saturday + dt.timedelta(days=1)))
    assert response.status_code == 200
    body = response.json()
    assert body["candidates"] == []
    assert [d["date"] for d in body["days"]] == [saturday.isoformat(), (saturday + dt.timedelta(days=1)).isoformat()]
    assert all("closed" in [r["code"] for r in d["reasons"]] for d in body["days"])


def test_no_nurse_is_a_reason(nurse_api, center, chair, protocol):
    body = nurse_api.get(URL, query(center, protocol)).json()
    assert body["candidates"] == []
    assert "no_nurse_on_shift" in [r["code"] for r in body["days"][0]["reasons"]]


def test_missing_feature_is_a_reason(nurse_api, shift, center, chair):
    protocol = ProtocolFactory(code="iso", required_features=["isolation"])
    body = nurse_api.get(URL, query(center, protocol)).json()
    assert body["candidates"] == []
    assert "no_chair_with_features" in [r["code"] for r in body["days"][0]["reasons"]]


def test_patient_busy_times_are_left_out(nurse_api, shift, center, chairs, protocol, patient):
    AppointmentFactory(center=center, patient=patient, chair=chairs[0], protocol=protocol, start=at(7), end=at(19))
    body = nurse_api.get(URL, query(center, protocol, patient=patient.pk)).json()
    assert body["candidates"] == []
    other = nurse_api.get(URL, query(center, protocol)).json()
    assert other["candidates"]


def test_preferences_are_accepted(nurse_api, shift, center, chairs, protocol):
    response = nurse_api.get(
        URL, query(center, protocol, time_of_day="afternoon", weekdays="mon,wed", date_to=DAY + dt.timedelta(days=6))
    )
    assert response.status_code == 200
    first = dt.datetime.fromisoformat(response.json()["candidates"][0]["start"])
    assert first.hour >= 12 and first.weekday() in (0, 2)
    assert nurse_api.get(URL, query(center, protocol, weekdays="0,2,4")).status_code == 200


def test_exclude_appointment_frees_its_own_time(nurse_api, shift, center, chair, protocol, patient):
    appointment = AppointmentFactory(center=center, patient=patient, chair=chair, protocol=protocol, start=at(7))
    response = nurse_api.get(
        URL, query(center, protocol, dose_number=3, patient=patient.pk, exclude_appointment=appointment.pk, limit=50)
    )
    assert response.status_code == 200
    assert at(7).isoformat() in [c["start"] for c in response.json()["candidates"]]


@pytest.mark.parametrize(
    "params,field",
    [
        ({"date_from": DAY, "date_to": DAY - dt.timedelta(days=1)}, "date_to"),
        ({"date_from": DAY, "date_to": DAY + dt.timedelta(days=91)}, "date_to"),
        ({"date_from": "12/07/2026"}, "date_from"),
        ({"date_from": "2026-02-30"}, "date_from"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"dose_number": 0}, "dose_number"),
        ({"dose_number": -3}, "dose_number"),
        ({"time_of_day": "evening"}, "time_of_day"),
        ({"weekdays": "funday"}, "weekdays"),
        ({"weekdays": "7"}, "weekdays"),
        ({"center": "abc"}, "center"),
        ({"protocol": ""}, "protocol"),
    ],
)
def test_bad_queries_are_400_naming_the_parameter(nurse_api, center, protocol, params, field):
    response = nurse_api.get(URL, query(center, protocol, **params))
    assert response.status_code == 400
    assert field in response.json()


def test_a_90_day_range_is_allowed(nurse_api, shift, center, chair, protocol):
    response = nurse_api.get(URL, query(center, protocol, date_to=DAY + dt.timedelta(days=90)))
    assert response.status_code == 200
    assert response.json()["candidates"]


def test_a_90_day_range_without_room_reports_every_day(nurse_api, center, chair, protocol):
    response = nurse_api.get(URL, query(center, protocol, date_to=DAY + dt.timedelta(days=90)))
    assert response.status_code == 200
    assert response.json()["candidates"] == []
    assert len(response.json()["days"]) == 91


def test_missing_center_and_protocol_are_named(nurse_api):
    response = nurse_api.get(URL)
    assert response.status_code == 400
    assert {"center", "protocol"} <= set(response.json())


def test_other_center_is_404(other_api, center, protocol):
    response = other_api.get(URL, query(center, protocol))
    assert response.status_code == 404
    assert "center" in response.json()


def test_other_centers_patient_is_refused(nurse_api, center, protocol, other_patient):
    response = nurse_api.get(URL, query(center, protocol, patient=other_patient.pk))
    assert response.status_code == 404
    assert "patient" in response.json()
