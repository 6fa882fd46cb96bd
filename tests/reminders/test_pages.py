"""Signed confirm/cancel links (no login) and the staff pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from reminders import links, services
from reminders.models import DevelopmentSms, Reminder, ReminderStatus
from scheduling.models import AppointmentStatus
from tests.factories import AppointmentFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def link_path(appointment, action):
    return reverse(f"reminders:{action}_link", kwargs={"token": links.make_token(appointment.pk, action)})


def test_confirm_link_works_without_login_and_get_changes_nothing(client, booked):
    path = link_path(booked, "confirm")
    page = client.get(path)
    assert page.status_code == 200 and b"Confirm my appointment" in page.content
    assert b"infusion" not in page.content.lower()  # the patient's page names no treatment, not even as the brand
    booked.refresh_from_db()
    assert booked.confirmed_at is None  # a mail scanner following the link confirms nothing
    response = client.post(path)
    assert response.status_code == 200 and b"is confirmed" in response.content
    booked.refresh_from_db()
    assert booked.confirmed_at is not None and booked.status == AppointmentStatus.BOOKED


def test_cancel_link_cancels_as_the_patient(client, booked):
    response = client.post(link_path(booked, "cancel"))
    assert b"is cancelled" in response.content
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED and booked.cancelled_by == "patient"
    assert not Reminder.objects.filter(appointment=booked, status=ReminderStatus.PENDING).exists()


def test_a_link_does_one_thing_only(client, booked):
    confirm_token = links.make_token(booked.pk, "confirm")
    response = client.post(reverse("reminders:cancel_link", kwargs={"token": confirm_token}))
    assert response.status_code == 400
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_tampered_and_expired_links_are_refused(client, booked, settings):
    token = links.make_token(booked.pk, "cancel")
    assert client.post(reverse("reminders:cancel_link", kwargs={"token": token[:-2] + "xx"})).status_code == 400
    other = links.make_token(booked.pk + 1000, "cancel")
    assert client.post(reverse("reminders:cancel_link", kwargs={"token": other})).status_code == 404
    settings.REMINDER_LINK_MAX_AGE = dt.timedelta(seconds=-1)
    response = client.post(reverse("reminders:cancel_link", kwargs={"token": token}))
    assert response.status_code == 400 and b"expired" in response.content
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_link_for_a_past_appointment_has_expired(client):
    appointment = AppointmentFactory(start=dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC))
    assert client.post(link_path(appointment, "confirm")).status_code == 410


def test_follow_up_list_shows_failed_and_unknown_of_my_center_only(nurse_client, booked, other_center):
    reminder = Reminder.objects.get(appointment=booked, kind="72h")
    Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.FAILED, last_error="Invalid number")
    foreign = AppointmentFactory(
        center=other_center, patient=PatientFactory(center=other_center, last_name="Elsewhere")
    )
    Reminder.objects.create(
        appointment=foreign,
        patient=foreign.patient,
        center=other_center,
        kind="24h",
        offset_hours=24,
        channel="sms",
        status=ReminderStatus.UNKNOWN,
        due_at=foreign.start,
        planned_for=foreign.start,
    )
    page = nurse_client.get("/reminders/")
    assert page.status_code == 200
    assert booked.patient.last_name.encode() in page.content and b"Invalid number" in page.content
    assert b"Elsewhere" not in page.content
    foreign_row = Reminder.objects.get(center=other_center)
    assert nurse_client.post(f"/reminders/{foreign_row.pk}/resend/").status_code == 404


def test_staff_can_resend_or_close_a_failed_reminder(nurse_client, booked, nurse):
    reminder = Reminder.objects.get(appointment=booked, kind="72h")
    Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.UNKNOWN)
    nurse_client.post(f"/reminders/{reminder.pk}/resend/")
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING and reminder.followed_up_by == nurse
    Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.FAILED, followed_up_at=None)
    nurse_client.post(f"/reminders/{reminder.pk}/followed-up/")
    reminder.refresh_from_db()
    assert not reminder.needs_follow_up
    assert b"Nothing to follow up" in nurse_client.get("/reminders/").content


def test_pages_need_login_and_a_role(client, booked):
    assert client.get("/reminders/").status_code == 302
    client.force_login(UserFactory())
    assert client.get("/reminders/").status_code == 403
    assert client.get("/reminders/sms/development/").status_code == 403


def test_development_inbox_shows_sent_texts_and_simulates_replies(nurse_client, booked, patient):
    reminder = Reminder.objects.get(appointment=booked, kind="72h")
    services.dispatch_due(
        now=reminder.due_at, enqueue=lambda ids: [services.send_reminder(i, now=reminder.due_at) for i in ids]
    )
    message = DevelopmentSms.objects.get()
    page = nurse_client.get("/reminders/sms/development/")
    assert message.body.encode() in page.content
    response = nurse_client.post(
        "/reminders/sms/development/reply/", {"from_number": str(patient.phone), "body": "C"}, follow=True
    )
    assert b"Appointment confirmed." in response.content
    booked.refresh_from_db()
    assert booked.confirmed_at is not None


def test_appointment_partial_lists_its_reminders_and_replies(nurse_client, booked, other_center):
    html = render_to_string("reminders/_appointment_reminders.html", {"appointment": booked})
    assert html.count("Text message") == 2 and "72h before" in html and "Pending" in html
    assert nurse_client.get(f"/reminders/appointments/{booked.pk}/").status_code == 200
    foreign = AppointmentFactory(center=other_center, patient=PatientFactory(center=other_center))
    assert nurse_client.get(f"/reminders/appointments/{foreign.pk}/").status_code == 404
