"""Browser: a patient confirms from the email link without logging in; a nurse sees a text reply cancel a visit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from reminders import links, services
from reminders.models import Reminder
from tests.factories import NEW_YORK, AppointmentFactory


def next_monday_at(hour: int) -> dt.datetime:
    today = dt.date.today()
    monday = today + dt.timedelta(days=14 - today.weekday())
    return dt.datetime.combine(monday, dt.time(hour), tzinfo=NEW_YORK)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_patient_link_and_text_reply(page, login, screenshot, nurse, center, chair, patient):
    appointment = AppointmentFactory(center=center, patient=patient, chair=chair, start=next_monday_at(9))
    services.sync_reminders(appointment)
    reminder = Reminder.objects.get(appointment=appointment, kind="72h", channel="sms")
    services.dispatch_due(
        now=reminder.due_at, enqueue=lambda ids: [services.send_reminder(i, now=reminder.due_at) for i in ids]
    )

    page.goto(reverse("reminders:confirm_link", kwargs={"token": links.make_token(appointment.pk, "confirm")}))
    page.get_by_role("button", name="Confirm my appointment").click()
    page.get_by_text("your appointment is confirmed").wait_for()
    screenshot("reminders-link-confirmed")
    appointment.refresh_from_db()
    assert appointment.confirmed_at is not None

    login("nina.nurse")
    page.goto(reverse("reminders:development_sms"))
    page.get_by_text("Reply C to confirm, N to cancel, STOP to opt out.").first.wait_for()
    page.get_by_label("Patient's number").fill(str(patient.phone))
    page.get_by_label("Reply").fill("N")
    page.get_by_role("button", name="Simulate reply").click()
    page.get_by_text("Appointment cancelled by the patient.").first.wait_for()
    screenshot("reminders-development-sms")
    page.goto(reverse("reminders:appointment", kwargs={"appointment_id": appointment.pk}))
    page.get_by_text("Cancelled by the patient: Patient replied N").wait_for()
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.cancelled_by == "patient"
