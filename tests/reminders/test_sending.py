"""Dispatch and send: one provider call per reminder, retries with backoff, unknown outcomes, deferrals."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection

from reminders import services
from reminders import transports as sms
from reminders.models import DevelopmentSms, Reminder, ReminderStatus
from tests.factories import PatientFactory
from tests.reminders.conftest import at

pytestmark = pytest.mark.django_db


class RecordingBackend(sms.SmsBackend):
    """Counts provider calls; ``outcomes`` lists what each call does (an exception to raise, or send)."""

    calls: list[str] = []
    outcomes: list = []

    def send(self, *, to, body, reminder_id=None, status_callback=""):
        RecordingBackend.calls.append(body)
        outcome = RecordingBackend.outcomes.pop(0) if RecordingBackend.outcomes else None
        if isinstance(outcome, Exception):
            raise outcome
        return sms.SentMessage(provider_message_id=f"SM{len(RecordingBackend.calls)}", provider_status="queued")


@pytest.fixture
def recording(settings):
    settings.SMS_BACKEND = "tests.reminders.test_sending.RecordingBackend"
    RecordingBackend.calls = []
    RecordingBackend.outcomes = []
    return RecordingBackend


def first(appointment, kind="72h", channel="sms") -> Reminder:
    return Reminder.objects.get(appointment=appointment, kind=kind, channel=channel)


def dispatch_and_send(now) -> list[str]:
    outcomes: list[str] = []
    services.dispatch_due(now=now, enqueue=lambda ids: outcomes.extend(services.send_reminder(i, now=now) for i in ids))
    return outcomes


def test_due_reminder_is_sent_once_and_recorded(booked):
    reminder = first(booked)
    assert dispatch_and_send(reminder.due_at - dt.timedelta(minutes=1)) == []  # not due yet
    assert dispatch_and_send(reminder.due_at) == ["sent"]
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT and reminder.attempts == 1
    assert reminder.provider_message_id.startswith("DEV")
    (message,) = DevelopmentSms.objects.all()
    assert message.reminder == reminder and message.body == reminder.body and message.to == str(booked.patient.phone)
    assert dispatch_and_send(reminder.due_at + dt.timedelta(minutes=5)) == []  # nothing left to do


def test_send_task_run_twice_calls_the_provider_once(booked, recording):
    reminder = first(booked)
    queued: list[int] = []
    services.dispatch_due(now=reminder.due_at, enqueue=queued.extend)
    assert services.send_reminder(reminder.pk, now=reminder.due_at) == "sent"
    assert services.send_reminder(reminder.pk, now=reminder.due_at) == "not-queued"
    assert len(recording.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_send_task_run_twice_concurrently_calls_the_provider_once(book, patient, monday, recording):
    appointment = book(patient, at(monday, 9))
    reminder = first(appointment)
    services.dispatch_due(now=reminder.due_at, enqueue=lambda ids: None)
    start = threading.Barrier(2)
    results: list[str] = []

    def run():
        try:
            start.wait()
            results.append(services.send_reminder(reminder.pk, now=reminder.due_at))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["not-queued", "sent"]
    assert len(recording.calls) == 1


def test_dispatcher_skips_rows_another_dispatcher_holds(booked):
    """Two dispatchers never claim the same row: SKIP LOCKED leaves held rows to their holder."""
    reminder = first(booked)
    queued: list[int] = []
    services.dispatch_due(now=reminder.due_at, enqueue=queued.extend)
    services.dispatch_due(now=reminder.due_at, enqueue=queued.extend)
    assert queued == [reminder.pk]


def test_lost_publish_is_handed_over_again_after_a_while(booked):
    reminder = first(booked)
    services.dispatch_due(now=reminder.due_at, enqueue=lambda ids: None)  # the broker lost them
    later = reminder.due_at + services.REQUEUE_AFTER + dt.timedelta(minutes=1)
    assert dispatch_and_send(later) == ["sent"]


def test_transient_errors_retry_with_growing_backoff_then_fail(booked, recording):
    reminder = first(booked)
    recording.outcomes = [sms.TransientSendError("Twilio 503")] * services.MAX_ATTEMPTS
    now = reminder.due_at
    delays = []
    for _ in range(services.MAX_ATTEMPTS - 1):
        assert dispatch_and_send(now) == ["retry"]
        reminder.refresh_from_db()
        assert reminder.status == ReminderStatus.PENDING and reminder.last_error == "Twilio 503"
        delays.append((reminder.due_at - now).total_seconds())
        now = reminder.due_at
    assert dispatch_and_send(now) == [ReminderStatus.FAILED]
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED and reminder.attempts == services.MAX_ATTEMPTS
    assert "Gave up after 5 attempts" in reminder.last_error
    for attempt, delay in enumerate(delays, start=1):
        full = services.RETRY_BASE_SECONDS * 2 ** (attempt - 1)
        assert full / 2 <= delay <= full
    assert len(recording.calls) == services.MAX_ATTEMPTS


def test_timeout_with_unknown_outcome_is_not_resent(booked, recording):
    reminder = first(booked)
    recording.outcomes = [sms.UnknownOutcomeError("read timeout")]
    assert dispatch_and_send(reminder.due_at) == [ReminderStatus.UNKNOWN]
    assert dispatch_and_send(reminder.due_at + dt.timedelta(hours=1)) == []
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.UNKNOWN and reminder.needs_follow_up
    assert len(recording.calls) == 1


def test_permanent_failure_is_failed_at_once(booked, recording):
    reminder = first(booked)
    recording.outcomes = [sms.PermanentSendError("invalid number", code="21211")]
    assert dispatch_and_send(reminder.due_at) == [ReminderStatus.FAILED]
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED and reminder.needs_follow_up


def test_unsubscribed_number_error_opts_the_patient_out(booked, recording):
    reminder = first(booked)
    recording.outcomes = [sms.PermanentSendError("unsubscribed", code="21610")]
    dispatch_and_send(reminder.due_at)
    booked.patient.refresh_from_db()
    assert booked.patient.is_sms_opted_out
    assert first(booked, kind="24h").status == ReminderStatus.VOIDED


def test_worker_lost_mid_send_becomes_unknown_after_the_lease(booked):
    reminder = first(booked)
    services.dispatch_due(now=reminder.due_at, enqueue=lambda ids: None)
    Reminder.objects.filter(pk=reminder.pk).update(status=ReminderStatus.SENDING, claimed_at=reminder.due_at)
    services.dispatch_due(now=reminder.due_at + dt.timedelta(seconds=10), enqueue=lambda ids: None)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENDING  # still within the lease: maybe still sending
    services.dispatch_due(now=reminder.due_at + services.sending_lease() * 2, enqueue=lambda ids: None)
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.UNKNOWN
    assert DevelopmentSms.objects.count() == 0


def test_reminder_delayed_into_the_night_waits_for_the_morning(booked, monday):
    reminder = first(booked)
    night = at(monday - dt.timedelta(days=3), 22)  # an outage kept it until 22:00
    assert dispatch_and_send(night) == ["deferred"]
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PENDING
    assert reminder.due_at == at(monday - dt.timedelta(days=2), 8)


def test_at_most_one_reminder_per_patient_per_day(book, center, monday):
    patient = PatientFactory(center=center)
    monday_visit = book(patient, at(monday, 9))
    tuesday_visit = book(patient, at(monday + dt.timedelta(days=1), 9))
    Reminder.objects.filter(kind="72h").delete()
    one = first(monday_visit, kind="24h")  # Sunday 09:00
    other = first(tuesday_visit, kind="24h")  # Monday 09:00, but an outage pushed both to Sunday
    Reminder.objects.filter(pk=other.pk).update(due_at=one.due_at)
    assert sorted(dispatch_and_send(one.due_at)) == ["deferred", "sent"]
    other.refresh_from_db()
    assert other.status == ReminderStatus.PENDING
    assert other.due_at == at(monday, 8)  # the next morning, still before Tuesday's appointment
    assert dispatch_and_send(at(monday, 8)) == ["sent"]


def test_skipped_when_no_day_is_left_for_it(book, center, monday):
    patient = PatientFactory(center=center)
    morning = book(patient, at(monday, 9))
    afternoon = book(patient, at(monday + dt.timedelta(days=1), 7))
    Reminder.objects.filter(kind="72h").delete()
    now = at(monday - dt.timedelta(days=1), 20)
    Reminder.objects.filter(appointment__in=[morning, afternoon]).update(due_at=now)
    # One goes out; the other would wait for Monday 08:00, after Tuesday's... no: Monday 08:00 is fine.
    outcomes = sorted(dispatch_and_send(now))
    assert outcomes == ["deferred", "sent"]
    Reminder.objects.filter(status=ReminderStatus.PENDING).update(due_at=at(monday, 8))
    Reminder.objects.filter(status=ReminderStatus.SENT).update(claimed_at=at(monday, 7, 59))
    # Already reminded on Monday too, and Tuesday 08:00 is after the 07:00 appointment: skipped.
    assert dispatch_and_send(at(monday, 8)) == [ReminderStatus.SKIPPED]


def test_email_reminder_has_text_html_and_calendar(book, center, monday):
    patient = PatientFactory(center=center, reminder_channel="email")
    appointment = book(patient, at(monday, 9))
    reminder = first(appointment, channel="email")
    assert dispatch_and_send(reminder.due_at) == ["sent"]
    (message,) = mail.outbox
    assert message.to == [patient.email]
    assert message.alternatives[0].mimetype == "text/html"
    (attachment,) = message.attachments
    assert attachment.filename == "appointment.ics" and attachment.mimetype.startswith("text/calendar")
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT and reminder.provider_message_id


def test_email_refused_address_is_a_permanent_failure(book, center, monday, monkeypatch):
    import smtplib

    from django.core.mail import EmailMultiAlternatives

    def refuse(self, fail_silently=False):
        raise smtplib.SMTPRecipientsRefused({"x@example.org": (550, b"no such user")})

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    patient = PatientFactory(center=center, reminder_channel="email")
    reminder = first(book(patient, at(monday, 9)), channel="email")
    assert dispatch_and_send(reminder.due_at) == [ReminderStatus.FAILED]


def test_twilio_backend_sorts_errors(settings):
    import requests
    from twilio.base.exceptions import TwilioRestException

    settings.TWILIO_FROM_NUMBER = "+16175550000"

    class FakeMessages:
        def __init__(self, error):
            self.error = error
            self.kwargs = None

        def create(self, **kwargs):
            self.kwargs = kwargs
            if self.error:
                raise self.error
            return type("Message", (), {"sid": "SM123", "status": "queued"})()

    def backend_raising(error):
        client = type("Client", (), {})()
        client.messages = FakeMessages(error)
        return sms.TwilioSmsBackend(client=client), client.messages

    backend, messages = backend_raising(None)
    assert backend.send(to="+16175550142", body="hi", status_callback="https://x/cb").provider_message_id == "SM123"
    assert messages.kwargs["from_"] == "+16175550000" and messages.kwargs["status_callback"] == "https://x/cb"
    cases = [
        (TwilioRestException(400, "uri", msg="invalid", code=21211), sms.PermanentSendError),
        (TwilioRestException(429, "uri", msg="slow down", code=20429), sms.TransientSendError),
        (TwilioRestException(503, "uri", msg="unavailable"), sms.TransientSendError),
        (requests.exceptions.ConnectTimeout(), sms.TransientSendError),
        (requests.exceptions.ReadTimeout(), sms.UnknownOutcomeError),
        (requests.exceptions.ConnectionError(), sms.TransientSendError),
    ]
    for error, expected in cases:
        backend, _ = backend_raising(error)
        with pytest.raises(expected):
            backend.send(to="+16175550142", body="hi")
