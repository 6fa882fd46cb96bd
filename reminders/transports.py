"""How a reminder leaves: one interface (:class:`Transport`), one class per provider.

A transport's ``send()`` hands one message to its provider and returns a
:class:`SentMessage`, or sorts the failure into one of three channel-neutral
errors so the send task knows what to do next:

* :class:`TransientSendError` — the provider did not take the message; retry later.
* :class:`PermanentSendError` — it never will (bad number or address, unsubscribed); stop.
* :class:`UnknownOutcomeError` — we timed out after sending; the provider may have it.

SMS: ``SMS_BACKEND`` is ``development`` (messages are recorded in the database
and shown on a staff page), ``twilio``, or the dotted path of a transport class.
Email: ``EMAIL_TRANSPORT`` is the dotted path of a transport class, by default
:class:`EmailTransport` (Django's email backend, configured by ``EMAIL_URL``).
Adding a provider (another SMS vendor, an API-based email service) is one class.
"""

from __future__ import annotations

import contextlib
import smtplib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import make_msgid
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


@contextlib.contextmanager
def commit_without_flush() -> Iterator[None]:
    """Run the block in a transaction whose commit does not wait for the disk flush (``synchronous_commit
    off``: other sessions still see the rows at once; a database crash may lose the last such commits).
    Inside someone else's transaction the block simply joins it: that commit decides."""
    from django.db import connection, transaction

    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


@dataclass(frozen=True)
class SentMessage:
    provider_message_id: str
    provider_status: str = "sent"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes | str
    mimetype: str


class Transport:
    """Sends one message to ``to``; ``body`` is the whole text (for email, the plain-text part).

    Email transports also take ``subject``, ``html`` and ``attachments``; SMS transports ignore them,
    and ``status_callback`` is where a provider may report delivery (SMS).
    """

    name = "base"
    channel = ""

    def send(
        self,
        *,
        to: str,
        body: str,
        reminder_id: int | None = None,
        status_callback: str = "",
        subject: str = "",
        html: str = "",
        attachments: Sequence[Attachment] = (),
    ) -> SentMessage:
        raise NotImplementedError


class SmsBackend(Transport):
    """A text-message provider."""

    channel = "sms"


class DevelopmentSmsBackend(SmsBackend):
    """Records each message; the "Text messages (development)" page lists them."""

    name = "development"

    def send(
        self, *, to: str, body: str, reminder_id: int | None = None, status_callback: str = "", **_
    ) -> SentMessage:
        from reminders.models import DevelopmentSms

        sid = f"DEV{uuid.uuid4().hex}"
        # A development record, not the outbox's state: a database crash may lose the last texts of
        # this page, never a reminder's status.
        with commit_without_flush():
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

    def send(
        self, *, to: str, body: str, reminder_id: int | None = None, status_callback: str = "", **_
    ) -> SentMessage:
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


class EmailTransport(Transport):
    """Email through Django's email backend (SMTP in production, see ``EMAIL_URL``)."""

    name = "email"
    channel = "email"

    def send(
        self,
        *,
        to: str,
        body: str,
        reminder_id: int | None = None,
        status_callback: str = "",
        subject: str = "",
        html: str = "",
        attachments: Sequence[Attachment] = (),
    ) -> SentMessage:
        message = EmailMultiAlternatives(
            subject=subject,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            headers={"Auto-Submitted": "auto-generated", "Message-ID": make_msgid(domain=_mail_domain())},
        )
        if html:
            message.attach_alternative(html, "text/html")
        for attachment in attachments:
            message.attach(attachment.filename, attachment.content, attachment.mimetype)
        try:
            message.send(fail_silently=False)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
            raise PermanentSendError(f"The mail server refused the address: {error}") from error
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentSendError(f"The mail server refused the message ({error.smtp_code}).") from error
            raise TransientSendError(f"The mail server said {error.smtp_code}; will retry.") from error
        except TimeoutError as error:
            raise UnknownOutcomeError("The mail server timed out; the message may have been sent.") from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientSendError(f"Could not reach the mail server: {error}") from error
        return SentMessage(provider_message_id=message.extra_headers.get("Message-ID", ""), provider_status="sent")


def _mail_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1] or "localhost"


BACKENDS = {"development": DevelopmentSmsBackend, "twilio": TwilioSmsBackend}


def get_backend() -> Transport:
    """The SMS transport ``SMS_BACKEND`` names."""
    name = settings.SMS_BACKEND
    backend_class = BACKENDS.get(name) or import_string(name)
    return backend_class()


def email_transport() -> Transport:
    """The email transport ``EMAIL_TRANSPORT`` names (default :class:`EmailTransport`)."""
    name = getattr(settings, "EMAIL_TRANSPORT", "")
    return (import_string(name) if name else EmailTransport)()
