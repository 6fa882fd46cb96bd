"""The short links in texts, used as a patient would: /r/<code> for a new time and for an offer."""

from __future__ import annotations

import datetime as dt

import pytest

from reminders import content
from reminders.models import DevelopmentSms, ShortLink
from scheduling.selectors import status_history
from scheduling.services import cancel_appointment
from tests.factories import PatientFactory
from tests.waitlist.conftest import MONDAY, at
from waitlist import services
from waitlist.models import Offer, OfferStatus, Release

pytestmark = pytest.mark.django_db

PUBLIC_BASE_URL = "https://appointments.riversidehealth.org"


@pytest.fixture(autouse=True)
def public_site(settings):
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL


def code_in(text: str) -> str:
    return text.split(f"{PUBLIC_BASE_URL}/r/", 1)[1].split()[0]


def test_the_patient_moves_their_appointment_by_the_texts_short_link(clock, client, booked):
    code = code_in(content.render_sms(booked))

    page = client.get(f"/r/{code}")
    assert page.status_code == 200
    choice = page.context["choices"][-1]
    html = page.content.decode().lower()
    assert booked.protocol.drug not in html and "infusion" not in html

    moved = client.post(f"/r/{code}", {"chair": choice["chair"], "start": choice["start"]})

    assert moved.status_code == 200 and "Your appointment is now on" in moved.content.decode()
    booked.refresh_from_db()
    assert booked.start == dt.datetime.fromisoformat(choice["start"])
    assert status_history(appointment=booked)[0].who == "Patient, by link"
    assert client.get(f"/r/{code}").status_code == 400  # spent: one move per link
    assert client.get("/r/unknowncode").status_code == 400


def test_a_short_link_stops_when_the_appointment_starts(clock, client, booked):
    code = code_in(content.render_sms(booked))
    clock.move_to(booked.start + dt.timedelta(minutes=1))
    assert client.get(f"/r/{code}").status_code == 400


def test_every_offer_text_has_its_reply_code_and_short_link_within_160_characters(clock, client, booked, wait, nurse):
    long_center = booked.center
    long_center.name = "St. Bartholomew's Regional Neurology and Multiple Sclerosis Infusion Center"
    long_center.save()
    entry = wait(patient=PatientFactory(center=long_center, first_name="Maximiliana-Alexandrina"))
    cancel_appointment(actor=nurse, appointment=booked, cancelled_by="patient", reason="Unwell")
    release = Release.objects.get(cause="cancelled")
    (offer_id,) = services.fill_gap(release.pk)

    assert services.send_offer(offer_id) == OfferStatus.SENT

    offer = Offer.objects.get(pk=offer_id)
    (sms,) = DevelopmentSms.objects.all()
    assert content.gsm7_length(sms.body) <= content.SMS_LIMIT
    assert f"YES {offer.code}" in sms.body and f"{PUBLIC_BASE_URL}/r/" in sms.body
    assert "infusion" not in sms.body.lower() and entry.protocol.drug.lower() not in sms.body.lower()
    link = ShortLink.objects.get(purpose="take_offer", object_id=offer.pk)
    assert link.expires_at == offer.expires_at

    page = client.get(f"/r/{code_in(sms.body)}")
    assert page.status_code == 200 and page.context["offer"].pk == offer.pk
    taken = client.post(f"/r/{code_in(sms.body)}")
    assert taken.status_code == 200
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED and offer.appointment.start == at(MONDAY, 9)


def test_the_answers_to_an_offer_fit_one_text(booked, wait, nurse):
    booked.center.name = "St. Bartholomew's Regional Neurology and Multiple Sclerosis Infusion Center"
    booked.center.save()
    wait()
    cancel_appointment(actor=nurse, appointment=booked, cancelled_by="patient", reason="Unwell")
    (offer_id,) = services.fill_gap(Release.objects.get(cause="cancelled").pk)
    services.send_offer(offer_id)
    offer = Offer.objects.select_related("entry__patient", "entry__center", "entry__protocol").get(pk=offer_id)
    for text in (
        services._taken_text(offer),
        services.decline_offer(offer=offer).message,
        services.accept_offer(offer=offer).message,
    ):
        assert content.gsm7_length(text) <= content.SMS_LIMIT and "infusion" not in text.lower()
