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
    WITHDRAWN = "withdrawn", "Withdrawn"


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
    stage = models.CharField(
        max_length=20,
        blank=True,
        help_text="The latest stage recorded (treatment.authorizations.record_stage); blank before submission.",
    )
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
    after_previous_dose = models.BooleanField(
        default=False,
        help_text="A monitoring check: only a document done after the previous dose counts "
        "(an MRI for ARIA caused by the doses already given; a baseline never counts).",
    )
    is_acknowledgeable = models.BooleanField(
        default=False,
        help_text="At the chair a nurse may go ahead without it by acknowledging it with a reason; "
        "otherwise it stops the infusion unless a center admin overrides it.",
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
        since = " (done after the previous dose)" if self.after_previous_dose else ""
        return f"{what} {when} {doses}{since}"

    @property
    def is_day_of(self) -> bool:
        """Done on the day of the dose only (a pre-infusion checklist): it belongs at the chair, not weeks ahead."""
        return self.window_days == 0

    def clean(self) -> None:
        if self.applies_to == PrerequisiteDoses.LISTED_DOSES and not self.dose_numbers:
            raise ValidationError({"dose_numbers": "List the dose numbers this check applies to."})
        if any(n < 1 for n in self.dose_numbers):
            raise ValidationError({"dose_numbers": "Dose numbers start at 1."})
        if self.window_days is not None and self.min_days_before and self.min_days_before > self.window_days:
            raise ValidationError({"min_days_before": "This cannot exceed the window."})


# --- The prior-authorization workflow (issue 22) -------------------------------------------------


class Stage(models.TextChoices):
    """A step on the path an access coordinator walks with the payer (see ``treatment/stages.py``)."""

    SUBMITTED = "submitted", "Submitted to the payer"
    INFO_REQUESTED = "info_requested", "More information requested"
    INFO_SENT = "info_sent", "Information sent"
    P2P_SCHEDULED = "p2p_scheduled", "Peer-to-peer review scheduled"
    P2P_HELD = "p2p_held", "Peer-to-peer review held"
    APPROVED = "approved", "Approved"
    DENIED = "denied", "Denied"
    APPEAL_1 = "appeal_1", "Appeal filed (level 1)"
    APPEAL_2 = "appeal_2", "Appeal filed (level 2)"
    APPEAL_EXTERNAL = "appeal_external", "External review requested"
    WITHDRAWN = "withdrawn", "Withdrawn"


class DenialReason(models.TextChoices):
    STEP_THERAPY_NOT_MET = "step_therapy_not_met", "Step therapy not met"
    NOT_MEDICALLY_NECESSARY = "not_medically_necessary", "Not medically necessary"
    MISSING_DOCUMENTATION = "missing_documentation", "Missing documentation"
    OUT_OF_NETWORK = "out_of_network", "Out of network"
    NOT_COVERED = "not_covered", "Not a covered benefit"
    DOSE_OR_FREQUENCY = "dose_or_frequency", "Dose or frequency exceeds policy"
    OTHER = "other", "Other"


class PeerToPeerOutcome(models.TextChoices):
    SUPPORTS_APPROVAL = "supports_approval", "Reviewer supports approval"
    UPHOLDS_DENIAL = "upholds_denial", "Reviewer upholds the denial"
    MORE_INFORMATION = "more_information", "Reviewer asks for more information"


class AuthorizationStage(models.Model):
    """One recorded step of an authorization: what happened, when, who recorded it, and its details.

    Written only by ``treatment.authorizations.record_stage`` (append-only: a mistake is corrected by the
    next stage, e.g. withdrawn). ``due_on`` is the date the next action is due: the payer's response, the
    information asked for, the peer-to-peer slot's day, the appeal deadline.
    """

    authorization = models.ForeignKey(PriorAuthorization, on_delete=models.CASCADE, related_name="stages")
    stage = models.CharField(max_length=20, choices=Stage.choices)
    occurred_on = models.DateField(help_text="When it happened (the payer's letter or call, the filing).")
    due_on = models.DateField(null=True, blank=True, help_text="When the next step is due.")
    peer_to_peer_at = models.DateTimeField(null=True, blank=True, help_text="The peer-to-peer review's slot.")
    reviewer = models.CharField(max_length=120, blank=True, help_text="The payer's reviewer (peer-to-peer).")
    outcome = models.CharField(max_length=20, choices=PeerToPeerOutcome.choices, blank=True)
    denial_reason = models.CharField(max_length=32, choices=DenialReason.choices, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["authorization", "occurred_on", "pk"]
        indexes = [models.Index(fields=["stage", "occurred_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(stage="denied") | ~models.Q(denial_reason=""), name="denial_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} on {self.occurred_on:%Y-%m-%d}"


class MedicationOutcome(models.TextChoices):
    FAILED = "failed", "Failed (not effective)"
    NOT_TOLERATED = "not_tolerated", "Not tolerated"
    CONTRAINDICATED = "contraindicated", "Contraindicated"


class MedicationHistory(models.Model):
    """A therapy the patient tried (or could not take) before: the evidence step therapy asks for."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medication_history")
    therapy = models.CharField(max_length=120, help_text="The drug or therapy, e.g. glatiramer acetate.")
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=16, choices=MedicationOutcome.choices)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "medication history"
        ordering = ["patient", "-started_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True)
                | models.Q(started_on__isnull=True)
                | models.Q(ended_on__gte=models.F("started_on")),
                name="medication_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.therapy} ({self.get_outcome_display().lower()})"

    def clean(self) -> None:
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValidationError({"ended_on": "The therapy cannot end before it started."})
        if self.outcome in (MedicationOutcome.FAILED, MedicationOutcome.NOT_TOLERATED) and not self.started_on:
            raise ValidationError({"started_on": "Give the date the therapy was started."})


class StepTherapyRule(models.Model):
    """One step a payer asks for before it covers a protocol: any one of ``therapies`` tried first.

    A step is met by the patient's medication history: one of the therapies contraindicated, not
    tolerated, or failed after at least ``min_trial_days`` (see ``treatment/step_therapy.py``).
    """

    payer = models.CharField(max_length=120, help_text="As written on the authorization (case is ignored).")
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="step_therapy_rules")
    name = models.CharField(max_length=120, help_text='What the payer calls the step, e.g. "A first-line injectable".')
    therapies = ArrayField(
        models.CharField(max_length=120), help_text="Any one of these counts, e.g. interferon beta,glatiramer acetate."
    )
    min_trial_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="A failed therapy counts only after this many days; blank: any trial."
    )
    position = models.PositiveSmallIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    notes = models.TextField(blank=True, help_text="Source, e.g. the payer's medical policy number.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["payer", "protocol", "position", "pk"]
        indexes = [models.Index(fields=["protocol", "payer"])]

    def __str__(self) -> str:
        return f"{self.payer} · {self.protocol.code.upper()}: {self.name}"

    def clean(self) -> None:
        if not [t for t in self.therapies or [] if t.strip()]:
            raise ValidationError({"therapies": "Name at least one therapy."})


class TentativeHold(models.Model):
    """A first dose held tentatively (an appointment with the status ``pending``) while its authorization
    is pending: it holds the chair and counts against capacity, gets no reminders, is confirmed (booked)
    when the authorization is approved and released N days before its date otherwise."""

    authorization = models.ForeignKey(PriorAuthorization, on_delete=models.CASCADE, related_name="holds")
    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="tentative_hold"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Hold for {self.authorization}"


class StaffTaskReminder(models.Model):
    """An email already sent to staff about an authorization's next action (so a task run twice sends once)."""

    authorization = models.ForeignKey(PriorAuthorization, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=32)
    due_on = models.DateField()
    kind = models.CharField(max_length=10, choices=[("upcoming", "Due soon"), ("overdue", "Overdue")])
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["authorization", "action", "due_on", "kind"], name="one_staff_reminder")
        ]

    def __str__(self) -> str:
        return f"{self.action} due {self.due_on:%Y-%m-%d} ({self.kind})"
