"""The waitlist: patients who would come earlier, the chair time that frees up, and the offers made.

* A :class:`WaitlistEntry` is one dose (patient, protocol, dose number, optionally the doctor's
  order) a patient would take sooner, inside a window of dates that never leaves the dose's label
  window, with preferred times and weekdays, the booked appointment it would replace, and how the
  patient wants to hear of a free time (text, email, or a phone call by staff), and whether they can
  come at short notice (``short_notice_minutes``: they live minutes away), which lets gap fill offer
  them a time starting sooner than the usual notice — the rest of a no-show's chair, a same-day gap.
* A :class:`Release` is chair time that became free: an appointment cancelled, not shown or moved,
  a chair block lifted, a nurse shift added. Gap fill offers it to the waitlist.
* An :class:`Offer` is one time (chair and start) offered to one entry for one release. It is its
  own outbox row (pending → sent → accepted / declined / expired / withdrawn / taken), sent through
  the reminders' transports under the reminders' consent, STOP and quiet-hours rules.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from chairs.models import Center, Chair, Weekday
from patients.models import Patient
from scheduling.models import Appointment, Protocol


class OfferChannel(models.TextChoices):
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone call by staff"


class TimeOfDay(models.TextChoices):
    ANY = "any", "Any time"
    MORNING = "morning", "Morning"
    AFTERNOON = "afternoon", "Afternoon"


class EntryStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    BOOKED = "booked", "Booked from the waitlist"
    REMOVED = "removed", "Removed"


class WaitlistEntry(models.Model):
    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="waitlist_entries")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waitlist_entries")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(
        "treatment.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_entries"
    )
    dose_number = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    earliest = models.DateField(help_text="First local day the patient could come.")
    latest = models.DateField(help_text="Last local day the patient could come.")
    due_date = models.DateField(null=True, blank=True, help_text="The dose's due date by the label, if it has one.")
    preferred_time_of_day = models.CharField(max_length=10, choices=TimeOfDay.choices, default=TimeOfDay.ANY)
    preferred_weekdays = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True)
    replaces = models.ForeignKey(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="waitlist_entries",
        help_text="The booked appointment an earlier time would replace (moved, not doubled).",
    )
    channel = models.CharField(max_length=10, choices=OfferChannel.choices, default=OfferChannel.SMS)
    short_notice_minutes = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(5)],
        help_text="The patient can be here this many minutes after an offer (a same-day time, a no-show's chair). "
        "Empty: they need the usual notice.",
    )
    notes = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=EntryStatus.choices, default=EntryStatus.WAITING)
    booked_appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["latest", "pk"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(condition=Q(latest__gte=models.F("earliest")), name="waitlist_window_ordered"),
            models.UniqueConstraint(
                fields=["patient", "protocol", "dose_number"],
                condition=Q(status="waiting"),
                name="one_waiting_entry_per_dose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient.full_name}: {self.protocol.code} #{self.dose_number} ({self.earliest}–{self.latest})"

    @property
    def is_waiting(self) -> bool:
        return self.status == EntryStatus.WAITING

    @property
    def weekday_names(self) -> str:
        return ", ".join(Weekday(d).label[:3] for d in self.preferred_weekdays)


class ReleaseCause(models.TextChoices):
    CANCELLED = "cancelled", "Cancellation"
    NOSHOW = "noshow", "No-show"
    MOVED = "moved", "Appointment moved"
    BLOCK_LIFTED = "block_lifted", "Chair block lifted"
    SHIFT_ADDED = "shift_added", "Nurse shift added"


class Release(models.Model):
    """Chair time that became free at ``created_at``; ``filled_at`` when a waitlist offer booked it."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="releases")
    chair = models.ForeignKey(Chair, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    cause = models.CharField(max_length=16, choices=ReleaseCause.choices)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="releases"
    )
    created_at = models.DateTimeField()
    filled_at = models.DateTimeField(null=True, blank=True)
    is_open = models.BooleanField(default=True, help_text="Gap fill still offers this time.")
    last_filled_at = models.DateTimeField(null=True, blank=True, help_text="When gap fill last looked for takers.")
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["is_open", "start"])]

    def __str__(self) -> str:
        return f"{self.get_cause_display()}: {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"


class OfferStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    TO_CALL = "to_call", "Staff to call"
    ACCEPTED = "accepted", "Accepted and booked"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn (taken by another patient)"
    FAILED = "failed", "Could not be sent"


OPEN_OFFER_STATUSES = (OfferStatus.PENDING, OfferStatus.SENT, OfferStatus.TO_CALL)


class Offer(models.Model):
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="offers")
    chair = models.ForeignKey(Chair, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=OfferChannel.choices)
    code = models.CharField(max_length=4, help_text="The reply code: YES 4821.")
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.PENDING)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    body = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=128, blank=True)
    outcome = models.CharField(max_length=255, blank=True)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_offers"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "expires_at"]), models.Index(fields=["code", "status"])]

    def __str__(self) -> str:
        return f"Offer {self.code} to {self.entry.patient.full_name} for {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_OFFER_STATUSES
