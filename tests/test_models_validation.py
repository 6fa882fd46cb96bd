"""Model validation users hit through forms, the admin and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from chairs.models import Center, OpeningHours
from scheduling.models import Protocol
from tests.factories import PatientFactory


def test_patient_phone_is_stored_in_e164(center):
    patient = PatientFactory(center=center, phone="(617) 555-0142")
    patient.refresh_from_db()
    assert str(patient.phone) == "+16175550142"


@pytest.mark.parametrize("phone", ["12345", "not a phone", "+1 555"])
def test_invalid_phone_is_refused(center, phone):
    patient = PatientFactory.build(center=center, phone=phone)
    with pytest.raises(ValidationError) as error:
        patient.full_clean()
    assert "phone" in error.value.message_dict


def test_invalid_email_is_refused(center):
    patient = PatientFactory.build(center=center, email="nobody-at-example")
    with pytest.raises(ValidationError) as error:
        patient.full_clean()
    assert "email" in error.value.message_dict


def test_sms_reminders_need_a_phone(center):
    patient = PatientFactory.build(center=center, phone="", reminder_channel="sms", has_reminder_consent=True)
    with pytest.raises(ValidationError) as error:
        patient.full_clean()
    assert "phone" in error.value.message_dict


def test_date_of_birth_cannot_be_in_the_future(center):
    patient = PatientFactory.build(center=center, date_of_birth=dt.date.today() + dt.timedelta(days=1))
    with pytest.raises(ValidationError) as error:
        patient.full_clean()
    assert "date_of_birth" in error.value.message_dict


def test_unknown_time_zone_is_refused(db):
    center = Center(name="Nowhere", timezone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError) as error:
        center.full_clean()
    assert "timezone" in error.value.message_dict


def test_known_time_zone_is_accepted(db):
    Center(name="Chicago", timezone="America/Chicago").full_clean()


def test_start_window_must_be_whole_slots(db):
    center = Center(name="Odd", slot_minutes=20, start_window_minutes=30)
    with pytest.raises(ValidationError) as error:
        center.full_clean()
    assert "start_window_minutes" in error.value.message_dict


def test_opening_hours_must_close_after_opening(center):
    hours = OpeningHours(center=center, weekday=5, opens=dt.time(12), closes=dt.time(9))
    with pytest.raises(ValidationError):
        hours.full_clean()


@pytest.mark.parametrize("field", ["first_dose_infusion_minutes", "later_dose_infusion_minutes"])
def test_protocol_durations_must_be_positive(db, field):
    protocol = Protocol(code="x", name="X", drug="x", first_dose_infusion_minutes=30, later_dose_infusion_minutes=30)
    setattr(protocol, field, 0)
    with pytest.raises(ValidationError) as error:
        protocol.full_clean()
    assert field in error.value.message_dict


def test_chair_minutes_add_every_phase(protocol):
    # Ocrelizumab: doses 1 and 2 are the 150-minute half doses, later doses 210 minutes.
    assert protocol.chair_minutes(1) == 10 + 30 + 150 + 60
    assert protocol.chair_minutes(2) == 10 + 30 + 150 + 60
    assert protocol.chair_minutes(3) == 10 + 30 + 210 + 60
