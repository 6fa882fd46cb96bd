"""Bad input is a 4xx naming what is wrong, never a 500."""

from __future__ import annotations

import datetime as dt

import pytest

from chairs.models import ChairBlock
from tests.api.conftest import at, client_for, iso

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_api(center_admin):
    return client_for(center_admin)


@pytest.mark.parametrize("parameter", ["date", "date_from", "date_to"])
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1899-12-31", "2201-01-01"])
def test_appointment_date_filters_outside_1900_to_2200_are_400(nurse_api, center, parameter, value):
    response = nurse_api.get("/api/v1/appointments/", {parameter: value})
    assert response.status_code == 400
    assert "between the years 1900 and 2200" in response.json()[parameter][0]


def test_appointment_date_filter_at_the_bounds_is_fine(nurse_api, center):
    response = nurse_api.get("/api/v1/appointments/", {"date_from": "1900-01-01", "date_to": "2200-12-31"})
    assert response.status_code == 200


@pytest.mark.parametrize("parameter", ["date_from", "date_to"])
def test_availability_date_near_the_end_of_time_is_400(nurse_api, center, protocol, parameter):
    response = nurse_api.get(
        "/api/v1/availability/", {"center": center.pk, "protocol": protocol.pk, parameter: "9999-12-31"}
    )
    assert response.status_code == 400
    assert parameter in response.json()


def test_deeply_nested_json_is_refused_before_parsing(nurse_api, center):
    body = "[" * 1200 + "]" * 1200
    response = nurse_api.generic("POST", "/api/v1/appointments/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


def test_brackets_inside_strings_do_not_count_as_nesting(nurse_api, center):
    body = '{"notes": "' + "[" * 1200 + '"}'
    response = nurse_api.generic("POST", "/api/v1/appointments/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" not in response.content.decode()


def test_ten_year_chair_block_is_refused_with_a_clear_message(nurse_api, chair):
    response = nurse_api.post(
        "/api/v1/chair-blocks/",
        {"chair": chair.pk, "start": iso(at(8)), "end": "2036-12-07T08:00:00-05:00", "reason": "Broken"},
        format="json",
    )
    assert response.status_code == 400
    assert "at most 31 days" in response.json()["end"][0]
    assert not ChairBlock.objects.exists()


def test_a_month_long_chair_block_is_accepted(nurse_api, chair):
    response = nurse_api.post(
        "/api/v1/chair-blocks/",
        {"chair": chair.pk, "start": iso(at(8)), "end": iso(at(8) + dt.timedelta(days=31)), "reason": "Repair"},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_closure_in_the_year_9999_is_refused(admin_api, center):
    response = admin_api.patch(
        f"/api/v1/centers/{center.pk}/", {"closures": [{"date": "9999-12-25", "reason": "Typo"}]}, format="json"
    )
    assert response.status_code == 400
    assert "between the years 2000 and 2199" in str(response.json())


def test_unknown_referenced_id_is_404_with_a_detail(nurse_api, patient, protocol, chair):
    response = nurse_api.post(
        "/api/v1/appointments/",
        {"patient": patient.pk, "protocol": protocol.pk, "chair": 999999, "start": iso(at(9))},
        format="json",
    )
    assert response.status_code == 404
    body = response.json()
    assert body["detail"] and "chair" in body


def test_unknown_object_url_is_404_with_a_detail(nurse_api, center):
    response = nurse_api.get("/api/v1/appointments/999999/")
    assert response.status_code == 404 and response.json()["detail"]
