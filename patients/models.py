"""Patients and how they want to be reminded.

Phone numbers are stored in E.164 (validated with phonenumbers). Reminders go
out only to patients who consented, on the channel they chose, and never by
SMS once the number has opted out (STOP).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from chairs.models import Center, validate_timezone


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
        if errors:
            raise ValidationError(errors)


# --- Treatment plans: orders, prior authorizations, prerequisite documents ---------------------
#
# A dose is given only under a doctor's order for its protocol, usually with an approved prior
# authorization from the payer, and for some drugs after a check (an MRI, a vaccination, a lab
# screen) recorded here as a prerequisite document. scheduling/readiness.py reads these rows to
# say whether an appointment is ready.


class Order(models.Model):
    """A doctor's order for a series of doses of one protocol."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="orders")
    protocol = models.ForeignKey("scheduling.Protocol", on_delete=models.PROTECT, related_name="orders")
    ordering_provider = models.CharField(max_length=120)
    dose_count = models.PositiveSmallIntegerField(
        "number of doses", null=True, blank=True, help_text="Leave blank for an open-ended order."
    )
    first_dose_number = models.PositiveSmallIntegerField(
        default=1, help_text="The series dose number this order starts at (e.g. 7 for a renewal after dose 6)."
    )
    start_date = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text="Leave blank if the order does not expire.")
    is_active = models.BooleanField(default=True, help_text="Clear when the order is discontinued.")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date", "-pk"]
        indexes = [models.Index(fields=["patient", "protocol"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=models.F("start_date")),
                name="order_valid_after_start",
            ),
            models.CheckConstraint(condition=models.Q(first_dose_number__gte=1), name="order_first_dose_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.protocol.code.upper()} order for {self.patient.full_name} from {self.start_date:%Y-%m-%d}"

    @property
    def last_dose_number(self) -> int | None:
        if self.dose_count is None:
            return None
        return self.first_dose_number + self.dose_count - 1

    def covers_dose(self, dose_number: int) -> bool:
        last = self.last_dose_number
        return dose_number >= self.first_dose_number and (last is None or dose_number <= last)

    def covers_date(self, day) -> bool:
        return self.start_date <= day and (self.valid_until is None or day <= self.valid_until)

    def clean(self) -> None:
        if self.valid_until and self.start_date and self.valid_until < self.start_date:
            raise ValidationError({"valid_until": "The order cannot end before it starts."})
        if self.dose_count == 0:
            raise ValidationError({"dose_count": "An order covers at least one dose."})


class AuthorizationStatus(models.TextChoices):
    NOT_REQUIRED = "not_required", "Not required"
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    EXPIRED = "expired", "Expired"


class PriorAuthorization(models.Model):
    """The payer's prior authorization for an order: a date range and a number of visits."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="authorizations")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="authorizations")
    payer = models.CharField(max_length=120)
    reference_number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=AuthorizationStatus.choices, default=AuthorizationStatus.PENDING)
    approved_from = models.DateField(null=True, blank=True)
    approved_until = models.DateField(null=True, blank=True)
    approved_visits = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Visits the payer approved; blank for no limit."
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-approved_until", "-pk"]

    def __str__(self) -> str:
        reference = f" {self.reference_number}" if self.reference_number else ""
        return f"{self.payer}{reference} ({self.get_status_display().lower()})"

    def covers_date(self, day) -> bool:
        return (self.approved_from is None or self.approved_from <= day) and (
            self.approved_until is None or day <= self.approved_until
        )

    def clean(self) -> None:
        errors = {}
        if self.order_id and self.patient_id and self.order.patient_id != self.patient_id:
            errors["order"] = "The order belongs to another patient."
        if self.approved_from and self.approved_until and self.approved_until < self.approved_from:
            errors["approved_until"] = "The approval cannot end before it starts."
        if self.status == AuthorizationStatus.APPROVED and not (self.approved_from and self.approved_until):
            errors["approved_until"] = "An approved authorization needs its approved date range."
        if errors:
            raise ValidationError(errors)


class DocumentKind(models.TextChoices):
    MRI = "mri", "MRI"
    AMYLOID = "amyloid", "Amyloid confirmation (PET or CSF)"
    APOE4 = "apoe4", "ApoE ε4 test"
    MENINGOCOCCAL_VACCINE = "meningococcal_vaccine", "Meningococcal vaccination (ACWY + B)"
    HEPATITIS_B = "hepatitis_b", "Hepatitis B screening"
    TUBERCULOSIS = "tuberculosis", "Tuberculosis screening"
    IMMUNOGLOBULINS = "immunoglobulins", "Serum immunoglobulins"
    LIVER_TESTS = "liver_tests", "Liver function tests"
    REMS_ENROLLMENT = "rems_enrollment", "REMS enrollment"
    REMS_CHECKLIST = "rems_checklist", "REMS pre-infusion checklist"
    PREGNANCY_TEST = "pregnancy_test", "Pregnancy test"
    OTHER = "other", "Other lab or screening"


class DocumentResult(models.TextChoices):
    PENDING = "pending", "Scheduled / result pending"
    ACCEPTABLE = "acceptable", "Done, acceptable"
    ABNORMAL = "abnormal", "Done, needs review"


class PrerequisiteDocument(models.Model):
    """A check done (or scheduled) for a patient: an MRI, a vaccination, a screening result."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="prerequisite_documents")
    kind = models.CharField(max_length=32, choices=DocumentKind.choices)
    performed_on = models.DateField(help_text="When it was done, or is scheduled.")
    result = models.CharField(max_length=12, choices=DocumentResult.choices, default=DocumentResult.ACCEPTABLE)
    notes = models.TextField("result / notes", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-performed_on", "-pk"]
        indexes = [models.Index(fields=["patient", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.performed_on:%Y-%m-%d}"
