"""SMS backends: one small interface, a Twilio implementation and a development one.

``SMS_BACKEND`` is ``development`` (messages are recorded in the database and
shown on a staff page), ``twilio``, or the dotted path of a class with the
same interface. A backend sorts every failure into one of three errors so the
send task knows what to do next:

* :class:`TransientSendError` — the provider did not take the message; retry later.
* :class:`PermanentSendError` — it never will (bad number, unsubscribed); stop.
* :class:`UnknownOutcomeError` — we timed out after sending; the provider may have it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


class SendError(Exception):
    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class TransientSendError(SendError):
    pass


class PermanentSendError(SendError):
    pass


class UnknownOutcomeError(SendError):
    pass


@dataclass(frozen=True)
class SentMessage:
    provider_message_id: str
    provider_status: str = "sent"


class SmsBackend:
    name = "base"

    def send(self, *, to: str, body: str, reminder_id: int | None = None, status_callback: str = "") -> SentMessage:
        raise NotImplementedError


class DevelopmentSmsBackend(SmsBackend):
    """Records each message; the "Text messages (development)" page lists them."""

    name = "development"

    def send(self, *, to: str, body: str, reminder_id: int | None = None, status_callback: str = "") -> SentMessage:
        from reminders.models import DevelopmentSms

        sid = f"DEV{uuid.uuid4().hex}"
        DevelopmentSms.objects.create(to=to, body=body, sid=sid, reminder_id=reminder_id)
        return SentMessage(provider_message_id=sid, provider_status="sent")


# Twilio error codes that no retry will fix.
# 21211 invalid "To", 21408 region not enabled, 21610 recipient replied STOP, 21614 not a mobile number.
TWILIO_PERMANENT_CODES = {21211, 21408, 21610, 21612, 21614}
TWILIO_UNSUBSCRIBED = 21610


class TwilioSmsBackend(SmsBackend):
    name = "twilio"
    timeout_seconds = 15

    def __init__(self, client=None) -> None:
        self._client = client

    @property
    def client(self):
        if self._client is None:
            from twilio.http.http_client import TwilioHttpClient
            from twilio.rest import Client

            if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER):
                raise PermanentSendError("Twilio is not configured (TWILIO_ACCOUNT_SID, _AUTH_TOKEN, _FROM_NUMBER).")
            self._client = Client(
                settings.TWILIO_ACCOUNT_SID,
                settings.TWILIO_AUTH_TOKEN,
                http_client=TwilioHttpClient(timeout=self.timeout_seconds),
            )
        return self._client

    def send(self, *, to: str, body: str, reminder_id: int | None = None, status_callback: str = "") -> SentMessage:
        import requests
        from twilio.base.exceptions import TwilioRestException

        kwargs = {"to": to, "from_": settings.TWILIO_FROM_NUMBER, "body": body}
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as error:
            code = str(error.code or "")
            if error.code in TWILIO_PERMANENT_CODES or (400 <= (error.status or 0) < 500 and error.status != 429):
                raise PermanentSendError(f"Twilio refused the message: {error.msg}", code=code) from error
            raise TransientSendError(f"Twilio error {error.status}: {error.msg}", code=code) from error
        except requests.exceptions.ConnectTimeout as error:
            raise TransientSendError("Could not reach Twilio (connect timeout).") from error
        except requests.exceptions.Timeout as error:
            # The request went out; Twilio may have queued the message.
            raise UnknownOutcomeError("Twilio did not answer in time; the message may have been sent.") from error
        except requests.exceptions.ConnectionError as error:
            raise TransientSendError(f"Could not reach Twilio: {error}") from error
        return SentMessage(provider_message_id=message.sid, provider_status=message.status or "queued")


BACKENDS = {"development": DevelopmentSmsBackend, "twilio": TwilioSmsBackend}


def get_backend() -> SmsBackend:
    name = settings.SMS_BACKEND
    backend_class = BACKENDS.get(name) or import_string(name)
    return backend_class()
