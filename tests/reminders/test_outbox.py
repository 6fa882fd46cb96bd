"""Outbox rows move with the booking: written, moved and voided in the same transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from patients.services import update_patient
from reminders import services
from reminders.models import DevelopmentSms, Reminder, ReminderStatus
from scheduling.services import move_appointment, transition
from tests.factories import NEW_YORK, PatientFactory
from tests.reminders.conftest import at

pytestmark = pytest.mark.django_db


def rows(appointment):
    return {(r.kind, r.channel): r for r in Reminder.objects.filter(appointment=appointment)}


def test_booking_writes_72_and_24_hour_reminders(booked, monday):
    reminders = rows(booked)
    assert set(reminders) == {("72h", "sms"), ("24h", "sms")}
    assert reminders["72h", "sms"].due_at == at(monday - dt.timedelta(days=3), 9)
    assert reminders["24h", "sms"].due_at == at(monday - dt.timedelta(days=1), 9)
    assert all(r.status == ReminderStatus.PENDING for r in reminders.values())


def test_both_channels_give_one_row_per_channel(book, center, monday):
    patient = PatientFactory(center=center, reminder_channel="both")
    assert set(rows(book(patient, at(monday, 9)))) == {
        ("72h", "sms"),
        ("24h", "sms"),
        ("72h", "email"),
        ("24h", "email"),
    }


def test_center_offsets_are_honoured(book, center, monday):
    center.reminder_offsets_hours = [48]
    center.save()
    assert set(rows(book(PatientFactory(center=center), at(monday, 9)))) == {("48h", "sms")}


@pytest.mark.parametrize(
    "attributes",
    [
        {"has_reminder_consent": False},
        {"reminder_channel": "none"},
        {"is_sms_opted_out": True},
        {"reminder_channel": "email", "email": ""},
    ],
)
def test_no_reminders_without_consent_or_channel(book, center, monday, attributes):
    patient = PatientFactory(center=center, **attributes)
    assert rows(book(patient, at(monday, 9))) == {}


def test_opted_out_patient_who_wants_both_gets_email_only(book, center, monday):
    patient = PatientFactory(center=center, reminder_channel="both", is_sms_opted_out=True)
    assert {channel for _, channel in rows(book(patient, at(monday, 9)))} == {"email"}


def test_a_rolled_back_booking_leaves_no_reminder(book, patient, monday):
    with pytest.raises(RuntimeError), transaction.atomic():
        book(patient, at(monday, 9))
        assert Reminder.objects.count() == 2
        raise RuntimeError("the rest of the request failed")
    assert Reminder.objects.count() == 0


def test_moving_updates_pending_reminders(booked, chair, monday, nurse):
    new_start = at(monday + dt.timedelta(days=2), 11)
    move_appointment(actor=nurse, appointment=booked, chair=chair, start=new_start)
    reminders = rows(booked)
    assert reminders["24h", "sms"].due_at == new_start - dt.timedelta(hours=24)
    assert reminders["72h", "sms"].due_at == new_start - dt.timedelta(hours=72)
    assert {r.status for r in reminders.values()} == {ReminderStatus.PENDING}


def test_cancelling_voids_pending_reminders_in_the_same_transaction(booked):
    with pytest.raises(RuntimeError), transaction.atomic():
        transition(actor=None, appointment=booked, action="cancel", cancelled_by="center")
        assert {r.status for r in rows(booked).values()} == {ReminderStatus.VOIDED}
        raise RuntimeError("rolled back")
    assert {r.status for r in rows(booked).values()} == {ReminderStatus.PENDING}
    transition(actor=None, appointment=booked, action="cancel", cancelled_by="center")
    assert {r.status for r in rows(booked).values()} == {ReminderStatus.VOIDED}


def test_cancel_after_dispatch_but_before_send_sends_nothing(booked):
    due = rows(booked)["72h", "sms"].due_at
    queued: list[int] = []
    assert services.dispatch_due(now=due, enqueue=queued.extend) == 1
    transition(actor=None, appointment=booked, action="cancel", cancelled_by="patient")
    for reminder_id in queued:
        services.send_reminder(reminder_id, now=due)
    assert DevelopmentSms.objects.count() == 0
    assert {r.status for r in rows(booked).values()} == {ReminderStatus.VOIDED}


def test_sent_reminders_stay_when_the_appointment_is_cancelled(booked):
    due = rows(booked)["72h", "sms"].due_at
    services.dispatch_due(now=due, enqueue=lambda ids: [services.send_reminder(i, now=due) for i in ids])
    transition(actor=None, appointment=booked, action="cancel", cancelled_by="center")
    reminders = rows(booked)
    assert reminders["72h", "sms"].status == ReminderStatus.SENT
    assert reminders["24h", "sms"].status == ReminderStatus.VOIDED


def test_withdrawn_consent_voids_and_renewed_consent_restores(booked, patient):
    update_patient(patient=patient, actor=None, changes={"has_reminder_consent": False})
    assert {r.status for r in rows(booked).values()} == {ReminderStatus.VOIDED}
    update_patient(patient=patient, actor=None, changes={"has_reminder_consent": True})
    assert {r.status for r in rows(booked).values()} == {ReminderStatus.PENDING}


def test_patient_time_zone_moves_the_due_time(book, center, monday):
    patient = PatientFactory(center=center, timezone="America/Los_Angeles")
    appointment = book(patient, at(monday, 10))  # 10:00 New York = 07:00 Los Angeles
    # 24 h before is 07:00 Los Angeles time: quiet there until 08:00.
    due = rows(appointment)["24h", "sms"].due_at
    assert due.astimezone(NEW_YORK) == at(monday - dt.timedelta(days=1), 11)


def test_changing_the_patients_time_zone_replans_pending_reminders(booked, patient, monday):
    update_patient(patient=patient, actor=None, changes={"timezone": "America/Los_Angeles"})
    # 24 h before Monday 09:00 New York is 06:00 in Los Angeles: quiet there until 08:00 (11:00 New York).
    assert rows(booked)["24h", "sms"].due_at.astimezone(NEW_YORK) == at(monday - dt.timedelta(days=1), 11)


def test_plan_reminders_command_backfills_appointments_made_elsewhere(center, monday):
    from io import StringIO

    from django.core.management import call_command

    from tests.factories import AppointmentFactory

    appointment = AppointmentFactory(center=center, patient=PatientFactory(center=center), start=at(monday, 9))
    assert rows(appointment) == {}
    call_command("plan_reminders", stdout=StringIO())
    assert set(rows(appointment)) == {("72h", "sms"), ("24h", "sms")}
