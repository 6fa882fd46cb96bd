"""Patients and how they want to be reminded.

Phone numbers are stored in E.164 (validated with phonenumbers). Reminders go
out only to patients who consented, on the channel they chose, and never by
SMS once the number has opted out (STOP).
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from chairs.models import Center, ChairFeature, ChairKind, validate_timezone


class ReminderChannel(models.TextChoices):
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    BOTH = "both", "Text message and email"
    NONE = "none", "No reminders"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish"
    FRENCH = "fr", "French"
    CHINESE = "zh", "Chinese"
    VIETNAMESE = "vi", "Vietnamese"
    PORTUGUESE = "pt", "Portuguese"
    OTHER = "other", "Other"


class Patient(models.Model):
    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=32, unique=True, help_text="Medical record number.")
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField()
    phone = PhoneNumberField(blank=True, help_text="Mobile number, e.g. +1 617 555 0142.")
    email = models.EmailField(blank=True)
    preferred_language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    timezone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text="Leave blank to use the center's time zone.",
    )
    reminder_channel = models.CharField(max_length=8, choices=ReminderChannel.choices, default=ReminderChannel.SMS)
    has_reminder_consent = models.BooleanField(
        "consents to reminders", default=False, help_text="The patient agreed to receive reminders."
    )
    is_sms_opted_out = models.BooleanField(
        "opted out of SMS", default=False, help_text="Set when the patient replies STOP."
    )
    care_partner_name = models.CharField(max_length=120, blank=True)
    care_partner_phone = PhoneNumberField(blank=True)
    care_partner_email = models.EmailField(blank=True)
    preferred_chair_kind = models.CharField(
        "preferred kind of chair",
        max_length=10,
        choices=ChairKind.choices,
        blank=True,
        help_text="Offered first by the slot finder when one is free; other chairs still fit.",
    )
    preferred_chair_features = ArrayField(
        models.CharField(max_length=30, choices=ChairFeature.choices),
        default=list,
        blank=True,
        verbose_name="prefers chairs with",
        help_text="E.g. by a window: such chairs are offered first.",
    )
    needs_bed = models.BooleanField(
        default=False, help_text="Only beds are offered and booked for this patient (not a preference)."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["last_name", "first_name", "mrn"]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["date_of_birth"]),
            models.Index(fields=["phone"]),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} (MRN {self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def chair_preference_text(self) -> str:
        """The chair needs and preferences in plain words ("" when none), for pages and the slot finder."""
        parts = ["needs a bed"] if self.needs_bed else []
        prefers = [ChairKind(self.preferred_chair_kind).label.lower()] if self.preferred_chair_kind else []
        prefers += [ChairFeature(f).label.lower() for f in self.preferred_chair_features]
        if prefers:
            parts.append("prefers " + ", ".join(prefers))
        return "; ".join(parts)

    @property
    def effective_timezone(self) -> str:
        return self.timezone or self.center.timezone

    def clean(self) -> None:
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": "The date of birth cannot be in the future."})
        wants_sms = self.reminder_channel in (ReminderChannel.SMS, ReminderChannel.BOTH)
        wants_email = self.reminder_channel in (ReminderChannel.EMAIL, ReminderChannel.BOTH)
        errors = {}
        if self.has_reminder_consent and wants_sms and not self.phone:
            errors["phone"] = "A mobile number is needed for text-message reminders."
        if self.has_reminder_consent and wants_email and not self.email:
            errors["email"] = "An email address is needed for email reminders."
        if self.needs_bed and self.preferred_chair_kind not in ("", ChairKind.BED):
            errors["preferred_chair_kind"] = "A patient who needs a bed cannot prefer another kind of chair."
        if errors:
            raise ValidationError(errors)
