"""Browser: a nurse waitlists an appointment for an earlier time, sees the offer after a cancellation,
and a patient picks a new time from the reminder's link without logging in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from chairs.models import NurseShift
from reminders import links
from scheduling.models import Appointment
from scheduling.services import book_appointment, cancel_appointment
from tests.factories import NEW_YORK, PatientFactory, UserFactory
from waitlist import services
from waitlist.models import Offer, Release


def monday_in_two_weeks() -> dt.date:
    today = dt.date.today()
    return today + dt.timedelta(days=14 - today.weekday())


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=NEW_YORK)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_waitlist_offer_and_patient_reschedule(page, login, screenshot, nurse, center, chair, protocol):
    monday = monday_in_two_weeks()
    helper = UserFactory(role="nurse", center=center)
    for offset in range(10):
        day = monday + dt.timedelta(days=offset)
        if day.weekday() < 5:
            for who in (nurse, helper):
                NurseShift.objects.create(center=center, nurse=who, start=at(day, 7), end=at(day, 19))
    earlier = book_appointment(actor=nurse, patient=PatientFactory(center=center), protocol=protocol, chair=chair,
                               start=at(monday, 9), dose_number=1)  # fmt: skip
    patient = PatientFactory(center=center, first_name="Ana")
    later = book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=chair,
                             start=at(monday + dt.timedelta(days=7), 9), dose_number=1)  # fmt: skip

    login("nina.nurse")
    page.goto(f"/appointments/{later.pk}/")
    page.get_by_role("link", name="Waitlist for an earlier time…").click()
    page.get_by_role("button", name="Add to the waitlist").click()
    page.get_by_text(f"{patient.full_name} is on the waitlist.").wait_for()

    cancel_appointment(actor=nurse, appointment=earlier, cancelled_by="patient", reason="Unwell")
    # Offered at noon (tomorrow, the center's time): at night quiet hours would hold the offer until morning.
    noon = dt.datetime.combine(timezone.now().astimezone(NEW_YORK).date() + dt.timedelta(days=1), dt.time(12),
                               tzinfo=NEW_YORK)  # fmt: skip
    (offer_id,) = services.fill_gap(Release.objects.get(cause="cancelled").pk, now=noon)
    services.send_offer(offer_id, now=noon)
    page.goto("/waitlist/")
    page.get_by_role("heading", name="Recent offers").wait_for()
    page.get_by_text(Offer.objects.get(pk=offer_id).code).first.wait_for()
    screenshot("waitlist-page")

    # The patient's reminder link (no login needed; the page is the same signed in or not).
    page.goto(f"/m/{links.short_token(later, 'reschedule')}")
    page.get_by_role("heading", name="Choose another time").wait_for()
    screenshot("waitlist-patient-reschedule")
    page.locator("[data-choices] button").last.click()
    page.get_by_text("Your appointment is now on").wait_for()
    later.refresh_from_db()
    assert later.start != at(monday + dt.timedelta(days=7), 9)
    assert Appointment.objects.filter(patient=patient).count() == 1
    page.goto(f"/appointments/{later.pk}/")
    page.get_by_role("cell", name="Patient, by link").first.wait_for()
    screenshot("waitlist-appointment-history")
