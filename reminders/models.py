"""The reminder outbox and what the SMS channel sends and receives.

A :class:`Reminder` is one message to send to one patient about one
appointment, for one offset ("72h", "24h") over one channel (SMS or email):
unique per appointment, kind and channel. Rows are written in the same
transaction as the booking, so a rolled-back booking leaves none behind, and
moving or cancelling the appointment updates or voids the pending ones in the
same transaction.

Life of a row::

    pending ──dispatcher──▶ queued ──send task──▶ sending ──▶ sent ──callback──▶ delivered
       ▲                                            │   │            └────────▶ failed
       └──── transient error (backoff + jitter) ────┘   ├──▶ failed   (permanent error, retries used up)
                                                        └──▶ unknown  (timeout: the provider may have it)
    pending ──▶ voided  (appointment moved away, cancelled, consent withdrawn)
    pending ──▶ skipped (too late to be useful, one-per-day rule)

Only the transition to ``sending`` (a conditional UPDATE) lets a task call the
provider, so a task delivered twice still makes one provider call.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Outcome unknown"
    VOIDED = "voided", "Voided"
    SKIPPED = "skipped", "Skipped"


# Statuses after which the patient may have received the message.
REACHED_PROVIDER = (
    ReminderStatus.SENDING,
    ReminderStatus.SENT,
    ReminderStatus.DELIVERED,
    ReminderStatus.UNKNOWN,
)
# Statuses staff should follow up.
NEEDS_FOLLOW_UP = (ReminderStatus.FAILED, ReminderStatus.UNKNOWN)


class Reminder(models.Model):
    appointment = models.ForeignKey("scheduling.Appointment", on_delete=models.CASCADE, related_name="reminders")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="reminders")
    center = models.ForeignKey("chairs.Center", on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, help_text='Offset before the appointment, e.g. "72h".')
    offset_hours = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=12, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    due_at = models.DateTimeField(help_text="Not sent before this time (quiet hours already applied).")
    planned_for = models.DateTimeField(help_text="The appointment start this reminder was planned for.")
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    body = models.TextField(blank=True, help_text="What was sent (the SMS text or the email's plain text).")
    provider_message_id = models.CharField(max_length=255, blank=True, help_text="Twilio SID or email Message-ID.")
    provider_status = models.CharField(max_length=20, blank=True)
    last_error = models.CharField(max_length=255, blank=True)
    note = models.CharField(max_length=255, blank=True, help_text="Why it was voided or skipped.")
    followed_up_at = models.DateTimeField(null=True, blank=True)
    followed_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind", "channel"], name="one_reminder_per_kind_channel"),
        ]
        indexes = [
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="reminder_due_pending"),
            models.Index(fields=["status", "queued_at"], name="reminder_status_queued"),
            models.Index(fields=["patient", "claimed_at"], name="reminder_patient_claimed"),
            models.Index(fields=["provider_message_id"], name="reminder_provider_id"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.kind} for appointment {self.appointment_id}: {self.status}"

    @property
    def needs_follow_up(self) -> bool:
        return self.status in NEEDS_FOLLOW_UP and self.followed_up_at is None


class DevelopmentSms(models.Model):
    """A text message "sent" by the development SMS backend, shown on a staff page."""

    to = models.CharField(max_length=32)
    body = models.TextField()
    sid = models.CharField(max_length=64, unique=True)
    reminder = models.ForeignKey(Reminder, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "development text message"

    def __str__(self) -> str:
        return f"to {self.to}: {self.body[:40]}"


class InboundSms(models.Model):
    """A text message a patient sent us, and what we did about it."""

    from_number = models.CharField(max_length=32)
    body = models.CharField(max_length=1600)
    action = models.CharField(max_length=20, help_text="confirm, cancel, opt_out, opt_in, help or none.")
    outcome = models.CharField(max_length=255, blank=True)
    reply = models.CharField(max_length=320, blank=True)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_sms"
    )
    provider_message_id = models.CharField(max_length=64, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = "inbound text message"

    def __str__(self) -> str:
        return f"from {self.from_number}: {self.body[:40]}"


class LinkPurpose(models.TextChoices):
    RESCHEDULE = "reschedule", "Choose another time (appointment)"
    TAKE_OFFER = "take_offer", "Take a waitlist offer"


class ShortLink(models.Model):
    """A short random code that stands, in a text message, for one purpose on one appointment or offer.

    The code is random (``links.SHORT_CODE_CHARS`` characters of a 31-letter alphabet, about 50 bits), so
    it cannot be guessed or derived from an id; it is bound to the start it was made for (a moved
    appointment or offer voids it), stops working at ``expires_at`` and, once used, is spent.
    """

    code = models.CharField(max_length=16, unique=True)
    purpose = models.CharField(max_length=16, choices=LinkPurpose.choices)
    object_id = models.PositiveBigIntegerField(help_text="The appointment (reschedule) or waitlist offer (take_offer).")
    bound_start = models.DateTimeField(help_text="The start it was made for; a move voids the link.")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["purpose", "object_id"])]

    def __str__(self) -> str:
        return f"/r/{self.code} ({self.get_purpose_display()} {self.object_id})"
