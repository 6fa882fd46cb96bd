"""A nurse shift belongs to an active user with the nurse role at that center: API and admin ask one rule."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from chairs.models import NurseShift
from tests.api.conftest import at, client_for, iso
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/shifts/"


@pytest.fixture
def admin_api(center_admin):
    return client_for(center_admin)


def _shift(center, nurse):
    return {"center": center.pk, "nurse": nurse.pk, "start": iso(at(8)), "end": iso(at(17))}


def test_shift_for_a_front_desk_user_is_refused(admin_api, center, front_desk):
    response = admin_api.post(URL, _shift(center, front_desk), format="json")
    assert response.status_code == 400
    assert "nurse role" in response.json()["nurse"][0]
    assert not NurseShift.objects.exists()


def test_shift_for_an_inactive_nurse_is_refused(admin_api, center):
    retired = UserFactory(role="nurse", center=center, is_active=False)
    response = admin_api.post(URL, _shift(center, retired), format="json")
    assert response.status_code == 400
    assert "inactive" in response.json()["nurse"][0]


def test_shift_for_a_nurse_of_the_center_is_accepted(admin_api, center, nurse):
    response = admin_api.post(URL, _shift(center, nurse), format="json")
    assert response.status_code == 201, response.json()


def test_moving_a_shift_to_a_front_desk_user_is_refused(admin_api, center, nurse, front_desk):
    shift = NurseShift.objects.create(center=center, nurse=nurse, start=at(8), end=at(17))
    response = admin_api.patch(f"{URL}{shift.pk}/", {"nurse": front_desk.pk}, format="json")
    assert response.status_code == 400 and "nurse role" in response.json()["nurse"][0]


def test_model_validation_refuses_a_nurse_of_another_center(center, other_center):
    elsewhere = UserFactory(role="nurse", center=other_center)
    with pytest.raises(ValidationError) as refused:
        NurseShift(center=center, nurse=elsewhere, start=at(8), end=at(17)).full_clean()
    assert "does not work at that center" in str(refused.value)


def test_admin_refuses_a_shift_for_front_desk(client, center, center_admin, front_desk):
    client.force_login(center_admin)
    response = client.post(
        "/admin/chairs/nurseshift/add/",
        {
            "center": center.pk,
            "nurse": front_desk.pk,
            "start_0": "2026-12-07",
            "start_1": "08:00",
            "end_0": "2026-12-07",
            "end_1": "17:00",
        },
    )
    assert response.status_code == 200
    assert "nurse role" in response.content.decode()
    assert not NurseShift.objects.exists()
