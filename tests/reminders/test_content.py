"""Message content: minimum necessary, SMS length, email parts, the calendar file."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from django.utils import timezone

from reminders import content
from reminders.content import SMS_ACTIONS, SMS_LIMIT
from scheduling.models import Protocol
from scheduling.protocol_library import seed_protocols
from tests.factories import AppointmentFactory, CenterFactory, PatientFactory

pytestmark = pytest.mark.django_db

LONGEST_NAME = "Maximiliana-Alexandrina"


def rendered_texts(appointment) -> list[str]:
    email = content.render_email(appointment, now=timezone.now())
    return [content.render_sms(appointment), email.subject, email.text, email.html, email.ics.decode()]


def test_no_protocol_detail_or_treatment_word_in_any_message():
    seed_protocols()
    center = CenterFactory(name="Riverside Neurology Infusion Center")
    patient = PatientFactory(center=center, first_name="Ana")
    for protocol in Protocol.objects.all():
        appointment = AppointmentFactory(center=center, patient=patient, protocol=protocol)
        for text in rendered_texts(appointment):
            lowered = text.lower()
            for value in (protocol.name, protocol.drug, protocol.brand, protocol.indication):
                if value:
                    assert value.lower() not in lowered, (protocol.code, value)
            assert "infusion" not in lowered
        appointment.delete()


def test_sms_fits_160_characters_with_the_link_and_the_reply_instructions():
    center = CenterFactory(name="St. Bartholomew's Regional Neurology and Multiple Sclerosis Infusion Center")
    patient = PatientFactory(center=center, first_name=LONGEST_NAME)
    appointment = AppointmentFactory(center=center, patient=patient)
    text = content.render_sms(appointment)
    assert content.gsm7_length(text) <= SMS_LIMIT
    assert text.endswith((SMS_ACTIONS, content.SMS_ACTIONS_SHORT))
    assert "/r/" in text and text.startswith("St. Bartholomew's")  # the link gave the phone's room, not the name


def test_sms_has_first_name_date_time_and_center():
    center = CenterFactory(name="Riverside Neurology")
    patient = PatientFactory(center=center, first_name="Ana", last_name="Secret-Lastname")
    start = dt.datetime(2026, 12, 7, 14, 30, tzinfo=center.tzinfo)
    appointment = AppointmentFactory(center=center, patient=patient, start=start)
    text = content.render_sms(appointment)
    assert text.startswith("Hi Ana, Riverside Neurology reminder: appt Mon Dec 7 at 2:30 PM.")
    assert "Secret-Lastname" not in text and patient.mrn not in text
    assert len(text) <= SMS_LIMIT


def test_times_are_in_the_patients_time_zone_with_its_abbreviation():
    center = CenterFactory(timezone="America/New_York")
    patient = PatientFactory(center=center, timezone="America/Los_Angeles", first_name="Ana")
    start = dt.datetime(2026, 12, 7, 14, 30, tzinfo=center.tzinfo)
    text = content.render_sms(AppointmentFactory(center=center, patient=patient, start=start))
    assert "Mon Dec 7 at 11:30 AM PST" in text


def test_center_name_without_treatment_words():
    assert content.public_center_name("Riverside Neurology Infusion") == "Riverside Neurology"
    assert content.public_center_name("Infusion Center - Boston") == "Center - Boston"
    assert content.public_center_name("Infusions") == "your care center"


def test_content_check_refuses_a_message_naming_the_drug():
    appointment = AppointmentFactory()
    with pytest.raises(content.ContentNotAllowed):
        content.check_minimum_necessary("Your Ocrevus appointment", appointment)
    with pytest.raises(content.ContentNotAllowed):
        content.check_minimum_necessary("Your infusion is tomorrow", appointment)
    content.check_minimum_necessary("Your appointment is tomorrow", appointment)


def test_email_has_plain_text_html_links_and_a_calendar_event():
    center = CenterFactory(name="Riverside Neurology")
    patient = PatientFactory(center=center, first_name="Ana")
    appointment = AppointmentFactory(center=center, patient=patient)
    email = content.render_email(appointment, now=timezone.now())
    assert "Ana" in email.text and "Riverside Neurology" in email.text
    assert "/reminders/a/" in email.text and "/confirm/" in email.text and "/cancel/" in email.text
    assert "<a href=" in email.html and "Confirm I will come" in email.html
    calendar = icalendar.Calendar.from_ical(email.ics)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == appointment.start
    assert event.decoded("dtend") == appointment.end
    assert str(event["summary"]) == "Appointment at Riverside Neurology"
    assert str(event["uid"]).startswith(f"appointment-{appointment.pk}@")
    assert calendar["version"] == "2.0" and "prodid" in calendar
