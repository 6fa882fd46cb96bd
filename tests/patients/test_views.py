"""Patient pages: search, registration and editing with validation, and each patient's appointments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from patients.models import Patient
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


def valid_data(center, **overrides):
    data = {
        "center": center.pk,
        "mrn": "mrn-777",
        "first_name": "Ann",
        "last_name": "Smith",
        "date_of_birth": "1961-04-12",
        "phone": "617 555 0142",
        "email": "ann@example.org",
        "preferred_language": "en",
        "timezone": "",
        "reminder_channel": "sms",
        "has_reminder_consent": "on",
        "care_partner_name": "",
        "care_partner_phone": "",
        "care_partner_email": "",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_list_searches_by_name_mrn_and_date_of_birth(nurse_client, center):
    PatientFactory(
        center=center, first_name="Ann", last_name="Smith", mrn="MRN1001", date_of_birth=dt.date(1961, 4, 12)
    )
    PatientFactory(center=center, first_name="Bob", last_name="Jones", mrn="MRN2002", date_of_birth=dt.date(1970, 1, 2))
    url = reverse("patient_list")

    def results(query: str) -> str:
        # The results only: the signed-in nurse's name (random) is on the page too, and was once "Jones".
        return nurse_client.get(url, {"q": query}).content.decode().split('id="patient-results"', 1)[1]

    assert "Smith" in results("ann smi")
    assert "Jones" not in results("ann smi")
    assert "Jones" in results("mrn2")
    by_dob = results("04/12/1961")
    assert "Smith" in by_dob and "Jones" not in by_dob


def test_list_answers_htmx_with_the_table_only(nurse_client, center):
    PatientFactory(center=center, last_name="Smith")
    response = nurse_client.get(
        reverse("patient_list"), {"q": "smi"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="patient-results"
    )
    assert "Smith" in response.content.decode()
    assert "<nav" not in response.content.decode().split("<table")[0]


def test_list_hides_other_centers_patients(nurse_client, center, other_center):
    PatientFactory(center=other_center, last_name="Elsewhere")
    assert "Elsewhere" not in nurse_client.get(reverse("patient_list")).content.decode()


def test_search_endpoint_for_the_slot_finder(nurse_client, center, other_center):
    PatientFactory(center=center, first_name="Ann", last_name="Smith", mrn="MRN1001")
    PatientFactory(center=other_center, first_name="Ann", last_name="Smithers", mrn="MRN1002")
    response = nurse_client.get(reverse("patient_search"), {"q": "smi", "center": center.pk})
    body = response.content.decode()
    assert 'data-patient-id="' in body and "Smith" in body and "Smithers" not in body


def test_search_endpoint_says_when_nothing_matches(nurse_client, center):
    body = nurse_client.get(reverse("patient_search"), {"q": "zzz"}).content.decode()
    assert "No patient matches" in body


def test_create_stores_phone_in_e164_and_uppercases_mrn(nurse_client, center):
    response = nurse_client.post(reverse("patient_create"), valid_data(center))
    patient = Patient.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("patient_detail", args=[patient.pk])
    assert str(patient.phone) == "+16175550142"
    assert patient.mrn == "MRN-777"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phone": "12345"}, "phone", "valid phone number"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"phone": ""}, "phone", "mobile number is needed"),
        ({"reminder_channel": "email", "email": ""}, "email", "email address is needed"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "cannot be in the future"),
        ({"timezone": "Mars/Olympus"}, "timezone", "valid choice"),
    ],
)
def test_create_refuses_invalid_contact_details(nurse_client, center, overrides, field, message):
    response = nurse_client.post(reverse("patient_create"), valid_data(center, **overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert not Patient.objects.exists()


def test_without_consent_no_contact_is_required(nurse_client, center):
    data = valid_data(center, phone="", email="")
    del data["has_reminder_consent"]
    assert nurse_client.post(reverse("patient_create"), data).status_code == 302


def test_duplicate_mrn_is_refused(nurse_client, center):
    PatientFactory(center=center, mrn="MRN-777")
    response = nurse_client.post(reverse("patient_create"), valid_data(center, mrn="mrn-777"))
    assert "mrn" in response.context["form"].errors


def test_cannot_register_a_patient_at_another_center(nurse_client, center, other_center):
    response = nurse_client.post(reverse("patient_create"), valid_data(other_center))
    assert response.status_code == 200 and "center" in response.context["form"].errors


def test_edit_changes_reminder_preferences(nurse_client, patient):
    url = reverse("patient_edit", args=[patient.pk])
    assert nurse_client.get(url).status_code == 200
    data = valid_data(patient.center, mrn=patient.mrn, reminder_channel="both")
    response = nurse_client.post(url, data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.reminder_channel == "both" and patient.first_name == "Ann"


def test_detail_lists_upcoming_and_past_appointments(nurse_client, center, patient, protocol):
    now = dt.datetime.now(dt.UTC)
    AppointmentFactory(
        center=center, patient=patient, protocol=protocol, start=now + dt.timedelta(days=3), dose_number=4
    )
    AppointmentFactory(
        center=center,
        patient=patient,
        protocol=protocol,
        start=now - dt.timedelta(days=30),
        dose_number=3,
        status="fulfilled",
    )
    response = nurse_client.get(reverse("patient_detail", args=[patient.pk]))
    assert [a.dose_number for a in response.context["upcoming"]] == [4]
    assert [a.dose_number for a in response.context["past"]] == [3]
    assert "Find a slot" in response.content.decode()


def test_other_centers_patient_is_404(nurse_client, other_center):
    stranger = PatientFactory(center=other_center)
    assert nurse_client.get(reverse("patient_detail", args=[stranger.pk])).status_code == 404
    assert nurse_client.get(reverse("patient_edit", args=[stranger.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("patient_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
