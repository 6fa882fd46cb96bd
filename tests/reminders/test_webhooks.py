"""Twilio webhooks: signatures, reply keywords, opt-out at once, status callbacks that never go backwards."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from reminders import services
from reminders.models import InboundSms, Reminder, ReminderStatus
from scheduling.models import AppointmentStatus

pytestmark = pytest.mark.django_db

TOKEN = "test-auth-token-0123456789"
BASE = "https://clinic.example.org"


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PUBLIC_BASE_URL = BASE


def post_signed(client, path: str, params: dict, *, token: str = TOKEN):
    signature = RequestValidator(token).compute_signature(BASE + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def reply_from(client, patient, body: str):
    return post_signed(
        client, "/reminders/sms/inbound/", {"From": str(patient.phone), "Body": body, "MessageSid": "SMin"}
    )


def send_first_reminder(appointment) -> Reminder:
    reminder = Reminder.objects.get(appointment=appointment, kind="72h", channel="sms")
    services.dispatch_due(
        now=reminder.due_at, enqueue=lambda ids: [services.send_reminder(i, now=reminder.due_at) for i in ids]
    )
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT
    return reminder


def test_inbound_without_a_valid_signature_is_forbidden(client, booked, patient):
    params = {"From": str(patient.phone), "Body": "N"}
    assert client.post("/reminders/sms/inbound/", params).status_code == 403
    assert post_signed(client, "/reminders/sms/inbound/", params, token="wrong-token").status_code == 403
    signature = RequestValidator(TOKEN).compute_signature(BASE + "/reminders/sms/inbound/", {**params, "Body": "C"})
    assert client.post("/reminders/sms/inbound/", params, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403
    assert client.post("/reminders/sms/status/", {"MessageSid": "x", "MessageStatus": "failed"}).status_code == 403
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_signature_check_fails_closed_without_a_token(client, settings, patient):
    settings.TWILIO_AUTH_TOKEN = ""
    assert reply_from(client, patient, "STOP").status_code == 403


@pytest.mark.parametrize("word", ["C", "confirm", "Yes", " c. "])
def test_confirm_words_confirm_the_appointment(client, booked, patient, word):
    send_first_reminder(booked)
    response = reply_from(client, patient, word)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    assert b"is confirmed" in response.content
    booked.refresh_from_db()
    assert booked.confirmed_at is not None and booked.status == AppointmentStatus.BOOKED


@pytest.mark.parametrize("word", ["N", "no"])
def test_no_cancels_the_appointment_as_cancelled_by_the_patient(client, booked, patient, word):
    send_first_reminder(booked)
    response = reply_from(client, patient, word)
    assert b"is cancelled" in response.content
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED and booked.cancelled_by == "patient"
    assert booked.history.first().history_user is None  # the state machine recorded it, made by no staff user
    assert set(Reminder.objects.filter(status=ReminderStatus.PENDING)) == set()
    inbound = InboundSms.objects.get()
    assert inbound.appointment == booked and inbound.action == "cancel"


@pytest.mark.parametrize(
    "word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "revoke", "optout", "Opt out"]
)
def test_stop_words_opt_out_at_once(client, booked, patient, word):
    response = reply_from(client, patient, word)
    assert response.status_code == 200
    patient.refresh_from_db()
    assert patient.is_sms_opted_out
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED  # CANCEL means "no more texts", not "cancel my visit"
    assert not Reminder.objects.filter(status=ReminderStatus.PENDING).exists()


@pytest.mark.parametrize("word", ["START", "unstop"])
def test_start_opts_back_in_and_restores_reminders(client, booked, patient, word):
    reply_from(client, patient, "STOP")
    reply_from(client, patient, word)
    patient.refresh_from_db()
    assert not patient.is_sms_opted_out
    assert Reminder.objects.filter(status=ReminderStatus.PENDING).count() == 2


def test_anything_else_gets_a_short_help_reply(client, booked, patient):
    response = reply_from(client, patient, "what time again?")
    assert b"reply C to confirm, N to cancel" in response.content
    assert len(InboundSms.objects.get().reply) <= 160
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED and booked.confirmed_at is None


def test_status_callbacks_never_move_a_message_backwards(client, booked):
    reminder = send_first_reminder(booked)
    Reminder.objects.filter(pk=reminder.pk).update(provider_message_id="SM42", provider_status="queued")

    def callback(status, **extra):
        params = {"MessageSid": "SM42", "MessageStatus": status, **extra}
        assert post_signed(client, "/reminders/sms/status/", params).status_code == 204
        reminder.refresh_from_db()
        return reminder.status, reminder.provider_status

    assert callback("sent") == (ReminderStatus.SENT, "sent")
    assert callback("delivered") == (ReminderStatus.DELIVERED, "delivered")
    assert callback("sent") == (ReminderStatus.DELIVERED, "delivered")  # late, out of order: ignored
    assert callback("queued") == (ReminderStatus.DELIVERED, "delivered")


def test_failed_delivery_is_shown_to_staff(client, booked):
    reminder = send_first_reminder(booked)
    Reminder.objects.filter(pk=reminder.pk).update(provider_message_id="SM43", provider_status="sent")
    post_signed(
        client, "/reminders/sms/status/", {"MessageSid": "SM43", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    )
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.FAILED and "30003" in reminder.last_error
    assert reminder.needs_follow_up


def test_keyword_table():
    assert services.keyword_action("Stop all") == "opt_out"
    assert services.keyword_action("yes!") == "confirm"
    assert services.keyword_action("no thanks") == "help"
    assert services.keyword_action("") == "help"
