"""The reminder text's short link: always in the text, within 160 GSM-7 characters, and nothing clinical."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from reminders import content, links
from reminders.models import ShortLink
from scheduling.models import Protocol
from scheduling.protocol_library import seed_protocols
from tests.factories import NEW_YORK, AppointmentFactory, CenterFactory, PatientFactory

pytestmark = pytest.mark.django_db

# A realistic public address of a health system's patient site (40 characters).
PUBLIC_BASE_URL = "https://appointments.riversidehealth.org"
CENTER_NAMES = [
    "Oak Clinic",
    "Riverside Neurology Infusion Center",
    "St. Bartholomew's Regional Neurology and Multiple Sclerosis Infusion Center",
    "Clínica Neurológica São José – Infusões",  # accents and an en dash outside GSM-7
]
FIRST_NAMES = ["Ana", "Maximiliana-Alexandrina", "Zoë", ""]


@pytest.fixture(autouse=True)
def public_site(settings):
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, tzinfo=NEW_YORK), tick=False):
        yield


@pytest.mark.parametrize("center_name", CENTER_NAMES)
@pytest.mark.parametrize("first_name", FIRST_NAMES)
def test_every_reminder_text_carries_its_short_link_within_160_gsm7_characters(center_name, first_name):
    center = CenterFactory(name=center_name)
    patient = PatientFactory(center=center, first_name=first_name, timezone="America/Chicago")  # a zone label too
    start = dt.datetime(2026, 12, 30, 10, 30, tzinfo=NEW_YORK)  # the longest date and time: "Wed Dec 30 at 9:30 AM CST"
    appointment = AppointmentFactory(center=center, patient=patient, start=start)

    text = content.render_sms(appointment)

    (link,) = ShortLink.objects.filter(purpose="reschedule", object_id=appointment.pk)
    assert f"{PUBLIC_BASE_URL}/r/{link.code}" in text
    assert content.gsm7_length(text) is not None and content.gsm7_length(text) <= content.SMS_LIMIT
    assert "9:30 AM CST" in text and text.endswith((content.SMS_ACTIONS, content.SMS_ACTIONS_SHORT))
    assert "infusion" not in text.lower() and "infus" not in text.lower()


def test_no_reminder_text_names_a_drug_or_diagnosis_for_any_protocol():
    seed_protocols()
    center = CenterFactory(name="Riverside Neurology Infusion Center")
    patient = PatientFactory(center=center, first_name="Ana")
    for protocol in Protocol.objects.all():
        appointment = AppointmentFactory(center=center, patient=patient, protocol=protocol)
        text = content.render_sms(appointment).lower()
        assert "/r/" in text
        for value in (protocol.name, protocol.drug, protocol.brand, protocol.indication, "infusion", "dose"):
            assert not value or value.lower() not in text, (protocol.code, value)
        appointment.delete()


def test_the_short_code_is_random_reused_while_live_and_bound_to_the_start():
    appointment = AppointmentFactory()
    first = content.render_sms(appointment)
    assert content.render_sms(appointment) == first  # the same live code, not a new row per render
    (link,) = ShortLink.objects.all()
    assert len(link.code) == links.SHORT_CODE_CHARS and str(appointment.pk) not in link.code
    assert link.expires_at == appointment.start  # it stops working when the appointment starts
    other = AppointmentFactory(center=appointment.center)
    content.render_sms(other)
    assert ShortLink.objects.get(object_id=other.pk).code != link.code

    appointment.start += dt.timedelta(days=1)  # moved: a new code for the new start
    content.render_sms(appointment)
    assert ShortLink.objects.filter(object_id=appointment.pk).count() == 2


def test_a_code_is_refused_when_unknown_malformed_expired_or_spent():
    appointment = AppointmentFactory()
    content.render_sms(appointment)
    link = ShortLink.objects.get()
    assert links.read_sms_code(link.code.upper()).pk == link.pk  # retyped in capitals still works
    for bad in ("", "x" * 40, "not-a-code", "2222222222"):
        with pytest.raises(links.LinkInvalid):
            links.read_sms_code(bad)
    with pytest.raises(links.LinkInvalid, match="expired"):
        links.read_sms_code(link.code, now=appointment.start)
    links.spend_sms_links(purpose="reschedule", object_id=appointment.pk)
    with pytest.raises(links.LinkInvalid, match="used"):
        links.read_sms_code(link.code)


def test_a_dedicated_short_host_shortens_every_link(settings):
    settings.SHORT_LINK_BASE_URL = "https://rvr.care/"
    text = content.render_sms(AppointmentFactory())
    assert f"https://rvr.care/r/{ShortLink.objects.get().code}" in text


def test_gsm7_counts_extended_characters_twice_and_refuses_unicode():
    assert content.gsm7_length("Hi {Ana}") == 10
    assert content.gsm7_length("Zoë") is None
    assert content.to_gsm7("São José – Infusões…") == "Sao José - Infusoes..."
