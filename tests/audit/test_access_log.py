"""HIPAA access audit: every read of a patient's record is recorded; center admins list it per patient."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.middleware import AUDITED_ROUTES
from audit.models import PatientAccess
from tests.api.conftest import client_for
from tests.factories import AppointmentFactory, PatientFactory, UserFactory
from treatment.templatetags.treatment_plans import calendar_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment(center, patient, chair, protocol):
    return AppointmentFactory(center=center, patient=patient, chair=chair, protocol=protocol)


def only_access(patient) -> PatientAccess:
    (access,) = PatientAccess.objects.filter(patient_id=patient.pk)
    return access


def test_opening_the_patient_page_records_who_viewed_it(nurse_client, nurse, patient):
    assert nurse_client.get(reverse("patient_detail", args=[patient.pk])).status_code == 200
    access = only_access(patient)
    assert (access.user, access.username, access.what, access.channel) == (
        nurse,
        "nina.nurse",
        "patient record",
        "page",
    )
    assert access.path == f"/patients/{patient.pk}/"
    assert access.ip_address == "127.0.0.1"


def test_opening_an_appointment_records_a_view_of_its_patient(front_desk_client, front_desk, appointment):
    assert front_desk_client.get(reverse("appointment_detail", args=[appointment.pk])).status_code == 200
    access = only_access(appointment.patient)
    assert (access.user, access.what, access.object_id) == (front_desk, "appointment", appointment.pk)


def test_api_reads_of_a_patient_and_an_appointment_are_recorded(nurse, patient, appointment):
    api = client_for(nurse)
    assert api.get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    assert api.get(f"/api/v1/appointments/{appointment.pk}/").status_code == 200
    assert api.get(f"/api/v1/appointments/{appointment.pk}/reminders/").status_code == 200
    accesses = PatientAccess.objects.filter(patient_id=patient.pk).order_by("pk")
    assert [(a.what, a.channel, a.user) for a in accesses] == [
        ("patient record", "api", nurse),
        ("appointment", "api", nurse),
        ("appointment reminders", "api", nurse),
    ]


def test_the_patient_calendar_and_its_link_are_recorded(nurse_client, nurse, client, patient):
    assert nurse_client.get(reverse("treatment_calendar", args=[patient.pk])).status_code == 200
    nurse_client.logout()
    assert client.get(reverse("treatment_calendar_feed", args=[calendar_token(patient)])).status_code == 200
    staff, link = PatientAccess.objects.filter(patient_id=patient.pk).order_by("pk")
    assert (staff.user, staff.channel) == (nurse, "page")
    assert (link.user, link.username, link.channel) == (None, "", "feed")


def test_refused_reads_record_nothing(nurse_client, nurse, other_center):
    stranger = PatientFactory(center=other_center)
    assert nurse_client.get(reverse("patient_detail", args=[stranger.pk])).status_code == 404
    assert client_for(nurse).get(f"/api/v1/patients/{stranger.pk}/").status_code == 404
    assert not PatientAccess.objects.exists()


def test_lists_and_changes_are_not_recorded_as_record_reads(nurse_client, patient):
    assert nurse_client.get(reverse("patient_list")).status_code == 200
    assert not PatientAccess.objects.exists()


def test_center_admin_lists_who_viewed_the_patient(nurse, admin_client_for_center, patient, center_admin):
    client_for(nurse).get(f"/api/v1/patients/{patient.pk}/")
    page = admin_client_for_center.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert reverse("patient_access_log", args=[patient.pk]) in page  # linked from the patient page
    response = admin_client_for_center.get(reverse("patient_access_log", args=[patient.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "(nina.nurse)" in html and "(ada.admin)" in html
    assert html.index("(ada.admin)") < html.index("(nina.nurse)")  # newest first


def test_other_roles_cannot_see_the_access_log(nurse_client, front_desk, client, patient):
    page = nurse_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert reverse("patient_access_log", args=[patient.pk]) not in page
    assert nurse_client.get(reverse("patient_access_log", args=[patient.pk])).status_code == 403
    client.force_login(front_desk)
    assert client.get(reverse("patient_access_log", args=[patient.pk])).status_code == 403


def test_center_admin_of_another_center_gets_404(client, other_center, patient):
    client.force_login(UserFactory(role="center_admin", center=other_center))
    assert client.get(reverse("patient_access_log", args=[patient.pk])).status_code == 404


def test_every_audited_route_exists():
    from django.urls import get_resolver

    names = {name for name in get_resolver().reverse_dict if isinstance(name, str)}
    assert set(AUDITED_ROUTES) <= names
