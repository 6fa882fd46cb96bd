"""Treatment plans: doctor's orders, prior authorizations, prerequisite documents and the
protocols' prerequisite rules (as data).

A dose is given only under a doctor's order for its protocol, usually with an approved prior
authorization from the payer, and for some drugs after a check (an MRI, a vaccination, a lab
screen) recorded here as a prerequisite document. ``treatment/readiness.py`` reads these rows to
say whether an appointment is ready.

These models moved here from ``patients`` and ``scheduling`` (migration
``treatment/0001_initial``): their tables keep their old names (``patients_order``,
``scheduling_protocolprerequisite``, and the history tables beside them), so no row moved.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from patients.models import Patient
from scheduling.models import Protocol


class Order(models.Model):
    """A doctor's order for a series of doses of one protocol."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="orders")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="orders")
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
    history = HistoricalRecords(table_name="patients_historicalorder")

    class Meta:
        db_table = "patients_order"  # kept from before the move (see the module docstring)
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
    history = HistoricalRecords(table_name="patients_historicalpriorauthorization")

    class Meta:
        db_table = "patients_priorauthorization"  # kept from before the move (see the module docstring)
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
    history = HistoricalRecords(table_name="patients_historicalprerequisitedocument")

    class Meta:
        db_table = "patients_prerequisitedocument"  # kept from before the move (see the module docstring)
        ordering = ["-performed_on", "-pk"]
        indexes = [models.Index(fields=["patient", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.performed_on:%Y-%m-%d}"


class PrerequisiteDoses(models.TextChoices):
    EVERY_DOSE = "every", "Every dose"
    FIRST_DOSE = "first", "First dose"
    LISTED_DOSES = "listed", "Listed doses"


class ProtocolPrerequisite(models.Model):
    """A check a protocol needs before some doses, as data: "MRI within 30 days before doses 3, 5, 7, 14".

    ``window_days`` bounds how old the document may be (done at most N days before the dose);
    ``min_days_before`` how late it may be (done at least N days before, e.g. a vaccine 14 days
    ahead). With neither, any document on or before the dose day counts.
    """

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="prerequisites")
    kind = models.CharField("document", max_length=32, choices=DocumentKind.choices)
    applies_to = models.CharField(max_length=8, choices=PrerequisiteDoses.choices, default=PrerequisiteDoses.FIRST_DOSE)
    dose_numbers = ArrayField(
        models.PositiveSmallIntegerField(),
        default=list,
        blank=True,
        help_text="For listed doses: the dose numbers, e.g. 3,5,7,14.",
    )
    window_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Done within this many days before the dose (0 = on the day)."
    )
    min_days_before = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Done at least this many days before the dose."
    )
    notes = models.TextField(blank=True, help_text="Source, e.g. the prescribing information.")
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords(table_name="scheduling_historicalprotocolprerequisite")

    class Meta:
        db_table = "scheduling_protocolprerequisite"  # kept from before the move (see the module docstring)
        ordering = ["protocol", "kind", "pk"]

    def __str__(self) -> str:
        return f"{self.protocol.code.upper()}: {self.describe()}"

    def applies_to_dose(self, dose_number: int) -> bool:
        if self.applies_to == PrerequisiteDoses.EVERY_DOSE:
            return True
        if self.applies_to == PrerequisiteDoses.FIRST_DOSE:
            return dose_number == 1
        return dose_number in self.dose_numbers

    def describe(self) -> str:
        """Reads like the label: "MRI within 30 days before doses 3, 5, 7, 14"."""
        what = self.get_kind_display()
        if self.window_days == 0:
            when = "on the day of"
        elif self.window_days is not None and self.min_days_before:
            when = f"{self.min_days_before} to {self.window_days} days before"
        elif self.window_days is not None:
            when = f"within {self.window_days} days before"
        elif self.min_days_before:
            when = f"at least {self.min_days_before} days before"
        else:
            when = "before"
        if self.applies_to == PrerequisiteDoses.EVERY_DOSE:
            doses = "every dose"
        elif self.applies_to == PrerequisiteDoses.FIRST_DOSE:
            doses = "dose 1"
        else:
            numbers = ", ".join(str(n) for n in self.dose_numbers)
            doses = f"dose{'s' if len(self.dose_numbers) != 1 else ''} {numbers}"
        return f"{what} {when} {doses}"

    def clean(self) -> None:
        if self.applies_to == PrerequisiteDoses.LISTED_DOSES and not self.dose_numbers:
            raise ValidationError({"dose_numbers": "List the dose numbers this check applies to."})
        if any(n < 1 for n in self.dose_numbers):
            raise ValidationError({"dose_numbers": "Dose numbers start at 1."})
        if self.window_days is not None and self.min_days_before and self.min_days_before > self.window_days:
            raise ValidationError({"min_days_before": "This cannot exceed the window."})
