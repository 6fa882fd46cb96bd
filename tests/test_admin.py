"""The Django admin: scoped to the user's centers, in the center's time zone, moves through the services."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.contrib import admin

from chairs.models import ChairBlock, NurseShift
from infusion_center.admin_scoping import CenterScopedAdmin
from scheduling.models import Appointment
from tests.factories import (
    AppointmentFactory,
    CenterFactory,
    ChairFactory,
    NurseShiftFactory,
    PatientFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
# Global reference data every center shares, and Django's own models.
UNSCOPED = {
    "scheduling.protocol",
    "treatment.protocolprerequisite",
    "auth.user",
    "auth.group",
    # Regimens belong to protocols, which every center shares.
    "regimens.regimen",
    "regimens.doseamount",
    "regimens.weightband",
    "regimens.rateladder",
}


@pytest.fixture
def admin_of_two(center, other_center):
    """A center admin of two centers (but not of a third)."""
    user = UserFactory(username="ada.two", role="center_admin", center=center, is_staff=True)
    other_center.staff.add(user)
    return user


@pytest.fixture
def third_center(db):
    return CenterFactory(name="Lakeside Infusion")


@pytest.fixture
def admin_client_of_two(client, admin_of_two):
    client.force_login(admin_of_two)
    return client


def test_every_admin_of_center_data_is_scoped():
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label_lower
        if (
            model._meta.app_label
            in {
                "chairs",
                "patients",
                "scheduling",
                "treatment",
                "reminders",
                "frontdesk",
                "setup",
                "booking_templates",
                "insights",
                "regimens",
                "chairside",
            }
            and label not in UNSCOPED
        ):
            assert isinstance(model_admin, CenterScopedAdmin), label


def test_another_centers_appointment_is_not_found_in_the_admin(admin_client_of_two, third_center):
    theirs = AppointmentFactory(center=third_center)
    response = admin_client_of_two.get(f"/admin/scheduling/appointment/{theirs.pk}/change/")
    assert response.status_code in (302, 404)
    assert theirs.patient.last_name not in admin_client_of_two.get("/admin/scheduling/appointment/").content.decode()


def test_own_centers_appointments_are_listed(admin_client_of_two, center, other_center):
    mine = AppointmentFactory(center=other_center)
    response = admin_client_of_two.get(f"/admin/scheduling/appointment/{mine.pk}/change/")
    assert response.status_code == 200


def test_another_centers_patients_are_hidden(admin_client_of_two, third_center):
    theirs = PatientFactory(center=third_center, last_name="Zzyzx")
    assert "Zzyzx" not in admin_client_of_two.get("/admin/patients/patient/").content.decode()
    assert admin_client_of_two.get(f"/admin/patients/patient/{theirs.pk}/change/").status_code in (302, 404)
    assert admin_client_of_two.get(f"/admin/patients/patient/{theirs.pk}/history/").status_code in (302, 404)


def test_superuser_sees_every_center(client, third_center):
    root = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(root)
    theirs = AppointmentFactory(center=third_center)
    assert client.get(f"/admin/scheduling/appointment/{theirs.pk}/change/").status_code == 200


def test_shift_cannot_be_put_on_another_centers_chair_or_center(admin_client_of_two, center, third_center, nurse):
    response = admin_client_of_two.post(
        "/admin/chairs/nurseshift/add/",
        {
            "center": third_center.pk,
            "nurse": nurse.pk,
            "start_0": "2026-12-07",
            "start_1": "08:00",
            "end_0": "2026-12-07",
            "end_1": "17:00",
        },
    )
    assert response.status_code == 200  # the form again, with an error
    assert not NurseShift.objects.exists()


def test_shift_entered_in_the_admin_is_read_in_the_centers_time_zone(client):
    chicago = CenterFactory(name="Lake Shore Infusion", timezone="America/Chicago")
    boss = UserFactory(role="center_admin", center=chicago, is_staff=True)
    nurse = UserFactory(role="nurse", center=chicago)
    client.force_login(boss)
    response = client.post(
        "/admin/chairs/nurseshift/add/",
        {
            "center": chicago.pk,
            "nurse": nurse.pk,
            "start_0": "2026-12-07",
            "start_1": "08:00",
            "end_0": "2026-12-07",
            "end_1": "17:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    shift = NurseShift.objects.get()
    assert shift.start == dt.datetime(2026, 12, 7, 8, tzinfo=CHICAGO)
    assert shift.end == dt.datetime(2026, 12, 7, 17, tzinfo=CHICAGO)
    page = client.get(f"/admin/chairs/nurseshift/{shift.pk}/change/").content.decode()
    assert 'value="08:00:00"' in page and "America/Chicago" in page


def test_chair_block_entered_in_the_admin_is_read_in_the_centers_time_zone(client):
    chicago = CenterFactory(name="Lake Shore Infusion", timezone="America/Chicago")
    chair = ChairFactory(center=chicago)
    boss = UserFactory(role="center_admin", center=chicago, is_staff=True)
    client.force_login(boss)
    response = client.post(
        "/admin/chairs/chairblock/add/",
        {
            "chair": chair.pk,
            "reason": "Pump service",
            "start_0": "2026-12-07",
            "start_1": "08:00",
            "end_0": "2026-12-07",
            "end_1": "10:00",
        },
    )
    assert response.status_code == 302
    assert ChairBlock.objects.get().start == dt.datetime(2026, 12, 7, 8, tzinfo=CHICAGO)


def test_ten_year_chair_block_is_refused_with_a_clear_message(admin_client_for_center, chair):
    response = admin_client_for_center.post(
        "/admin/chairs/chairblock/add/",
        {
            "chair": chair.pk,
            "reason": "Broken",
            "start_0": "2026-12-07",
            "start_1": "08:00",
            "end_0": "2036-12-07",
            "end_1": "08:00",
        },
    )
    assert response.status_code == 200
    assert "at most 31 days" in response.content.decode()
    assert not ChairBlock.objects.exists()


def test_appointment_status_cannot_be_edited_in_the_admin(admin_client_for_center, center, chair, protocol):
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol)
    response = admin_client_for_center.post(
        f"/admin/scheduling/appointment/{appointment.pk}/change/",
        {
            "chair": chair.pk,
            "start_0": "2026-12-07",
            "start_1": "09:00:00",
            "notes": "Window seat",
            "status": "fulfilled",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert appointment.notes == "Window seat"


def test_admin_move_onto_a_taken_chair_is_a_form_error(admin_client_for_center, center, chair, protocol, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 1, 9, tzinfo=NEW_YORK), tick=False)
    NurseShiftFactory(center=center, nurse=UserFactory(role="nurse", center=center))
    moving = AppointmentFactory(
        center=center, chair=chair, protocol=protocol, start=dt.datetime(2026, 12, 7, 7, 0, tzinfo=NEW_YORK)
    )
    other_chair = ChairFactory(center=center, label="C09")
    AppointmentFactory(
        center=center, chair=other_chair, protocol=protocol, start=dt.datetime(2026, 12, 7, 13, 0, tzinfo=NEW_YORK)
    )
    response = admin_client_for_center.post(
        f"/admin/scheduling/appointment/{moving.pk}/change/",
        {"chair": other_chair.pk, "start_0": "2026-12-07", "start_1": "13:00:00", "notes": ""},
    )
    assert response.status_code == 200
    assert "errornote" in response.content.decode() or "errorlist" in response.content.decode()
    moving.refresh_from_db()
    assert moving.chair_id == chair.pk


def test_admin_move_goes_through_the_planner(admin_client_for_center, center, chair, protocol, time_machine):
    time_machine.move_to(dt.datetime(2026, 12, 1, 9, tzinfo=NEW_YORK), tick=False)
    NurseShiftFactory(center=center, nurse=UserFactory(role="nurse", center=center))
    moving = AppointmentFactory(
        center=center, chair=chair, protocol=protocol, start=dt.datetime(2026, 12, 7, 7, 0, tzinfo=NEW_YORK)
    )
    response = admin_client_for_center.post(
        f"/admin/scheduling/appointment/{moving.pk}/change/",
        {"chair": chair.pk, "start_0": "2026-12-07", "start_1": "12:00:00", "notes": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    moving.refresh_from_db()
    assert moving.start == dt.datetime(2026, 12, 7, 12, tzinfo=NEW_YORK)
    assert moving.end == moving.start + dt.timedelta(minutes=protocol.chair_minutes(moving.dose_number))
    assert Appointment.history.filter(id=moving.pk).first().history_user.username == "ada.admin"


def test_appointment_history_cannot_revert_past_the_state_machine(admin_client_for_center, center, chair, protocol):
    appointment = AppointmentFactory(center=center, chair=chair, protocol=protocol)
    version = appointment.history.first()
    Appointment.objects.filter(pk=appointment.pk).update(status="cancelled")
    admin_client_for_center.post(
        f"/admin/scheduling/appointment/{appointment.pk}/history/{version.history_id}/",
        {"chair": chair.pk, "start_0": "2026-12-07", "start_1": "09:00:00", "notes": ""},
    )
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
