"""Who may take each step is decided inside the state machine, so pages, API, SMS replies and tasks all obey it."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling import services
from scheduling.errors import ActionNotPermitted
from scheduling.models import AppointmentStatus, ChairStage
from tests.api.conftest import at, client_for
from tests.factories import AppointmentFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


@pytest.fixture
def seated(center, chair, protocol):
    return AppointmentFactory(
        center=center,
        chair=chair,
        protocol=protocol,
        start=at(9),
        status=AppointmentStatus.CHECKED_IN,
        chair_stage=ChairStage.IN_CHAIR,
    )


@pytest.fixture
def arrived(center, chair, protocol):
    return AppointmentFactory(
        center=center, chair=chair, protocol=protocol, start=at(9), status=AppointmentStatus.ARRIVED
    )


@pytest.mark.parametrize("step", ["start-infusion", "complete"])
def test_front_desk_token_cannot_take_a_nurse_step_through_the_api(desk_api, seated, step):
    if step == "complete":
        seated.chair_stage = ChairStage.INFUSING
        seated.save()
    response = desk_api.post(f"{URL}{seated.pk}/{step}/")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "not_permitted"
    assert "nurses" in body["detail"]
    seated.refresh_from_db()
    assert seated.infusion_start_at is None and seated.discharged_at is None


def test_front_desk_token_cannot_seat_a_patient(desk_api, arrived):
    response = desk_api.post(f"{URL}{arrived.pk}/seat/", {}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_permitted"
    arrived.refresh_from_db()
    assert arrived.status == AppointmentStatus.ARRIVED


def test_nurse_token_may_start_the_infusion(nurse_api, seated):
    response = nurse_api.post(f"{URL}{seated.pk}/start-infusion/")
    assert response.status_code == 200
    assert response.json()["chair_stage"] == ChairStage.INFUSING


def test_allowed_actions_list_only_the_users_own_steps(desk_api, nurse_api, seated):
    assert "start-infusion" not in desk_api.get(f"{URL}{seated.pk}/").json()["allowed_actions"]
    assert "start-infusion" in nurse_api.get(f"{URL}{seated.pk}/").json()["allowed_actions"]


def test_state_machine_refuses_a_nurse_step_by_front_desk_whatever_the_caller(front_desk, seated):
    with pytest.raises(ActionNotPermitted):
        services.transition(actor=front_desk, appointment=seated, action="start_infusion")


def test_patient_reply_may_confirm_but_not_check_in(center, chair, protocol):
    booked = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    services.transition(actor=None, appointment=booked, action="confirm")
    with pytest.raises(ActionNotPermitted):
        services.transition(actor=None, appointment=booked, action="check_in")


def test_staff_of_another_center_cannot_take_a_step(other_center, seated):
    outsider = UserFactory(role="nurse", center=other_center)
    with pytest.raises(ActionNotPermitted):
        services.transition(actor=outsider, appointment=seated, action="start_infusion")


def test_user_without_a_role_cannot_check_in(center, chair, protocol):
    nobody = UserFactory(center=center)
    booked = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9))
    with pytest.raises(ActionNotPermitted):
        services.transition(actor=nobody, appointment=booked, action="check_in")


def test_every_state_machine_action_has_its_roles():
    assert set(services.ACTION_ROLES) == set(services.TRANSITIONS)


def test_api_403_is_documented_for_the_nurse_steps():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for step in ("seat", "start-infusion", "start-observation", "complete"):
        assert "403" in schema["paths"][f"/api/v1/appointments/{{id}}/{step}/"]["post"]["responses"]


def test_front_desk_client_for_other_token_is_unaffected(front_desk, center, chair, protocol):
    booked = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(9) + dt.timedelta(days=1))
    response = client_for(front_desk).post(f"{URL}{booked.pk}/check-in/")
    assert response.status_code == 200 and response.json()["status"] == AppointmentStatus.ARRIVED
