"""The waitlist pages, the patients' offer link and the self-reschedule link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from chairs.models import NurseShift
from reminders import content, links
from scheduling.models import Appointment
from scheduling.selectors import status_history
from scheduling.services import book_appointment, cancel_appointment
from tests.factories import CenterFactory, ChairFactory, PatientFactory
from tests.waitlist.conftest import MONDAY, at
from waitlist import services
from waitlist.models import EntryStatus, Offer, OfferStatus, Release, WaitlistEntry

pytestmark = pytest.mark.django_db


def test_waitlist_page_lists_the_most_urgent_first_with_the_earliest_slot(clock, nurse_client, booked, wait):
    later = wait(latest=MONDAY + dt.timedelta(days=20))
    sooner = wait(latest=MONDAY + dt.timedelta(days=3))
    page = nurse_client.get("/waitlist/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(sooner.patient.full_name) < html.index(later.patient.full_name)
    assert "3 days left" in html
    # The chair is taken Monday 09:00–13:10, so the planner's first time for a first dose is 13:15.
    assert "Mon 7 Dec 13:15 · C01" in html


def test_staff_put_an_appointment_on_the_waitlist_and_see_its_offers(clock, front_desk_client, booked, nurse, center):
    patient = PatientFactory(center=center)
    later = book_appointment(actor=nurse, patient=patient, protocol=booked.protocol, chair=booked.chair,
                             start=at(MONDAY + dt.timedelta(days=7), 9), dose_number=1)  # fmt: skip
    form = front_desk_client.get(f"/waitlist/add/?appointment={later.pk}")
    assert form.status_code == 200 and "taking an offer moves that appointment" in form.content.decode()
    response = front_desk_client.post(
        f"/waitlist/add/?appointment={later.pk}",
        {"patient": patient.pk, "protocol": later.protocol_id, "dose_number": 1, "replaces": later.pk,
         "preferred_time_of_day": "any", "channel": "sms"},
    )  # fmt: skip
    entry = WaitlistEntry.objects.get(patient=patient)
    assert response.status_code == 302 and response.url == f"/waitlist/{entry.pk}/"
    assert entry.replaces_id == later.pk and entry.created_by.username == "frank.desk"

    cancel_appointment(actor=nurse, appointment=booked, cancelled_by="patient")
    services.fill_gap(Release.objects.get(cause="cancelled").pk)
    offer = Offer.objects.get(entry=entry)
    detail = front_desk_client.get(f"/appointments/{booked.pk}/").content.decode()
    assert "Waitlist" in detail and patient.full_name in detail and offer.code in detail
    assert offer.code in front_desk_client.get(f"/waitlist/{entry.pk}/").content.decode()


def test_staff_record_that_a_patient_can_come_at_short_notice(clock, nurse_client, one_chair, center, protocol):
    patient = PatientFactory(center=center)
    response = nurse_client.post(
        "/waitlist/add/",
        {"patient": patient.pk, "protocol": protocol.pk, "dose_number": 1, "preferred_time_of_day": "any",
         "channel": "sms", "short_notice_minutes": 25},
    )  # fmt: skip
    entry = WaitlistEntry.objects.get(patient=patient)
    assert response.status_code == 302 and entry.short_notice_minutes == 25
    assert "can be here in 25 min" in nurse_client.get(f"/waitlist/{entry.pk}/").content.decode()
    assert "25 min away" in nurse_client.get(f"/waitlist/?center={center.pk}").content.decode()


def test_the_form_names_the_field_outside_the_label_window(clock, nurse_client, one_chair, center, protocol):
    patient = PatientFactory(center=center)
    response = nurse_client.post(
        "/waitlist/add/",
        {"patient": patient.pk, "protocol": protocol.pk, "dose_number": 1, "latest": "2027-06-01",
         "preferred_time_of_day": "any", "channel": "sms"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "label allows this dose" in str(response.context["form"].errors["latest"])
    assert not WaitlistEntry.objects.exists()


def test_staff_change_a_waiting_entry_within_the_label_window(clock, nurse_client, one_chair, center, protocol, nurse):
    patient = PatientFactory(center=center)
    entry = services.add_to_waitlist(actor=nurse, center=center, patient=patient, protocol=protocol,
                                     dose_number=1, channel="sms")  # fmt: skip
    page = nurse_client.get(f"/waitlist/{entry.pk}/")
    assert f'href="/waitlist/{entry.pk}/edit/"' in page.content.decode()
    form = nurse_client.get(f"/waitlist/{entry.pk}/edit/")
    assert form.status_code == 200 and 'name="short_notice_minutes"' in form.content.decode()
    change = {"preferred_time_of_day": "afternoon", "preferred_weekdays": [2, 4], "channel": "sms",
              "short_notice_minutes": 40, "notes": "Works mornings"}  # fmt: skip
    # Outside the dose's label window: the field is named, nothing changes.
    refused = nurse_client.post(f"/waitlist/{entry.pk}/edit/", {**change, "latest": "2027-06-01"})
    assert refused.status_code == 200
    assert "label allows this dose" in str(refused.context["form"].errors["latest"])
    entry.refresh_from_db()
    assert entry.short_notice_minutes is None and entry.preferred_time_of_day == "any"
    response = nurse_client.post(f"/waitlist/{entry.pk}/edit/", change)
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.preferred_time_of_day, entry.preferred_weekdays) == ("afternoon", [2, 4])
    assert entry.short_notice_minutes == 40 and entry.notes == "Works mornings"
    assert entry.history.latest().history_user == nurse  # who changed it, in the entry's history


def test_a_removed_entry_cannot_be_changed(clock, nurse_client, one_chair, center, protocol, nurse):
    entry = services.add_to_waitlist(actor=nurse, center=center, patient=PatientFactory(center=center),
                                     protocol=protocol, dose_number=1, channel="phone")  # fmt: skip
    services.remove_from_waitlist(actor=nurse, entry=entry)
    response = nurse_client.post(f"/waitlist/{entry.pk}/edit/", {"channel": "phone", "preferred_time_of_day": "any"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REMOVED and entry.channel == "phone"


def test_another_centers_entry_is_a_404(clock, nurse_client, protocol):
    elsewhere = CenterFactory(name="Hilltop")
    entry = services.add_to_waitlist(actor=None, center=elsewhere, patient=PatientFactory(center=elsewhere),
                                     protocol=protocol, dose_number=1, channel="phone")  # fmt: skip
    assert nurse_client.get(f"/waitlist/{entry.pk}/").status_code == 404
    assert nurse_client.post(f"/waitlist/{entry.pk}/remove/").status_code == 404


def test_staff_record_a_phone_call_that_takes_the_time(clock, nurse_client, booked, wait, nurse):
    entry = wait(channel="phone")
    cancel_appointment(actor=nurse, appointment=booked, cancelled_by="patient")
    (offer_id,) = services.fill_gap(Release.objects.get(cause="cancelled").pk)
    assert Offer.objects.get(pk=offer_id).status == OfferStatus.TO_CALL

    response = nurse_client.post(f"/waitlist/offers/{offer_id}/phone/", {"outcome": "accepted"})

    assert response.status_code == 302
    offer = Offer.objects.get(pk=offer_id)
    assert offer.status == OfferStatus.ACCEPTED and offer.answered_by == nurse
    assert offer.appointment.patient_id == entry.patient_id and offer.appointment.booked_by == nurse


def test_removing_an_entry_withdraws_its_offers(clock, nurse_client, booked, wait, nurse):
    entry = wait(channel="phone")
    cancel_appointment(actor=nurse, appointment=booked, cancelled_by="patient")
    services.fill_gap(Release.objects.get(cause="cancelled").pk)
    nurse_client.post(f"/waitlist/{entry.pk}/remove/")
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REMOVED
    assert entry.offers.get().status == OfferStatus.WITHDRAWN


def test_the_email_offer_link_takes_the_time_only_on_the_button(clock, client, booked, wait, nurse, center):
    entry = wait(channel="email", patient=PatientFactory(center=center, reminder_channel="email"))
    cancel_appointment(actor=nurse, appointment=booked, cancelled_by="patient")
    (offer_id,) = services.fill_gap(Release.objects.get(cause="cancelled").pk)
    services.send_offer(offer_id)
    (message,) = mail.outbox
    url = re.search(r"https?://\S+/o/\S+/", message.body).group(0)
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert "infusion" not in message.body.lower() and booked.protocol.drug not in message.body.lower()

    shown = client.get(f"/{path}")
    assert shown.status_code == 200 and "Yes, I take this time" in shown.content.decode()
    assert "infusion" not in shown.content.decode().lower()  # not even the app's brand
    assert Offer.objects.get(pk=offer_id).status == OfferStatus.SENT  # a GET takes nothing
    taken = client.post(f"/{path}")
    assert taken.status_code == 200 and "Booked" in taken.content.decode()
    assert Appointment.objects.active().get(patient=entry.patient).start == at(MONDAY, 9)
    assert client.get("/o/forged-token/").status_code == 400


def test_the_patient_moves_their_appointment_by_the_reminder_link(clock, client, booked):
    email = content.render_email(booked, now=at(MONDAY - dt.timedelta(days=3), 10))
    token = links.short_token(booked, "reschedule")
    assert f"/m/{token}" in email.text and f"/m/{token}" in email.html

    page = client.get(f"/m/{token}")
    assert page.status_code == 200
    choices = page.context["choices"]
    assert 1 <= len(choices) <= services.RESCHEDULE_CHOICES
    html = page.content.decode().lower()  # the whole page, the navigation bar's brand included
    assert booked.protocol.drug not in html and booked.protocol.brand.lower() not in html and "infusion" not in html
    choice = choices[-1]

    moved = client.post(f"/m/{token}", {"chair": choice["chair"], "start": choice["start"]})

    assert moved.status_code == 200 and "Your appointment is now on" in moved.content.decode()
    booked.refresh_from_db()
    assert booked.start.isoformat() == dt.datetime.fromisoformat(choice["start"]).isoformat()
    assert status_history(appointment=booked)[0].who == "Patient, by link"
    assert client.get(f"/m/{token}").status_code == 400  # used: the appointment moved, the link is spent


def test_a_reschedule_link_refuses_a_time_it_did_not_offer(clock, client, booked):
    token = links.short_token(booked, "reschedule")
    refused = client.post(f"/m/{token}", {"chair": booked.chair_id, "start": at(MONDAY, 7, 5).isoformat()})
    assert refused.status_code == 409
    booked.refresh_from_db()
    assert booked.start == at(MONDAY, 9)
    assert client.get(f"/m/{booked.pk}-000000000000").status_code == 400


def test_the_reminder_text_always_carries_a_short_reschedule_link(clock, center, one_chair, protocol, nurse):
    short = CenterFactory(name="Oak Clinic", phone="")
    patient = PatientFactory(center=short, first_name="Ana")
    chair = ChairFactory(center=short)
    NurseShift.objects.create(center=short, nurse=nurse, start=at(MONDAY, 7), end=at(MONDAY, 19))
    short.staff.add(nurse)
    appointment = book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=chair, start=at(MONDAY, 9),
                                   dose_number=1)  # fmt: skip
    text = content.render_sms(appointment)
    assert text.startswith("Hi Ana, Oak Clinic reminder: appt Mon Dec 7 at 9:00 AM. New time: http://localhost:8000/r/")
    assert len(text) <= content.SMS_LIMIT and text.endswith(content.SMS_ACTIONS)
    # A long center name and its phone no longer push the link out: the phone and the greeting give way.
    long_name = PatientFactory(center=center, first_name="Bartholomew")
    long_text = content.render_sms(
        book_appointment(
            actor=nurse, patient=long_name, protocol=protocol, chair=one_chair, start=at(MONDAY, 13, 30), dose_number=1
        )  # fmt: skip
    )
    assert "http://localhost:8000/r/" in long_text and content.gsm7_length(long_text) <= content.SMS_LIMIT
