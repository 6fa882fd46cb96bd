"""What happens at the chair: vital signs, infusion reactions, drug lots and the rates given;
the patient's allergies and pre-medication orders; and the pharmacy's preparation of each dose.

A reaction is documented on the appointment where it happened; it changes what the patient's
later doses of that protocol need (``regimens.dosing.dose_plan``: longer observation, the short
infusion withdrawn after a serious one, a pre-medication change), and those needs are shown when
the next dose is booked and at the chair. Every write goes through ``chairside.services``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from patients.models import Patient
from scheduling.models import Appointment, Protocol


class VitalsPhase(models.TextChoices):
    PRE = "pre", "Before the infusion"
    DURING = "during", "During the infusion"
    POST = "post", "After observation"


class VitalSigns(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="vitals")
    phase = models.CharField(max_length=8, choices=VitalsPhase.choices)
    taken_at = models.DateTimeField()
    systolic = models.PositiveSmallIntegerField(validators=[MinValueValidator(40), MaxValueValidator(300)])
    diastolic = models.PositiveSmallIntegerField(validators=[MinValueValidator(20), MaxValueValidator(200)])
    pulse = models.PositiveSmallIntegerField(validators=[MinValueValidator(20), MaxValueValidator(250)])
    temperature_c = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("30")), MaxValueValidator(Decimal("45"))],
    )
    respiratory_rate = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(4), MaxValueValidator(80)]
    )
    spo2 = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(50), MaxValueValidator(100)]
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["appointment", "taken_at"]

    def __str__(self) -> str:
        return f"{self.get_phase_display()}: {self.systolic}/{self.diastolic}, {self.pulse}/min"


class ReactionGrade(models.IntegerChoices):
    MILD = 1, "1 — mild"
    MODERATE = 2, "2 — moderate"
    SEVERE = 3, "3 — severe"
    LIFE_THREATENING = 4, "4 — life-threatening"


SERIOUS_GRADE = ReactionGrade.SEVERE


class ReactionSymptom(models.TextChoices):
    FLUSHING = "flushing", "Flushing"
    RASH = "rash", "Rash or hives"
    ITCHING = "itching", "Itching"
    FEVER = "fever", "Fever or chills"
    HEADACHE = "headache", "Headache"
    NAUSEA = "nausea", "Nausea"
    THROAT = "throat", "Throat irritation"
    DYSPNEA = "dyspnea", "Shortness of breath"
    HYPOTENSION = "hypotension", "Low blood pressure"
    TACHYCARDIA = "tachycardia", "Fast heart rate"
    ANAPHYLAXIS = "anaphylaxis", "Anaphylaxis"


class ReactionAction(models.TextChoices):
    NONE = "none", "None (monitored)"
    SLOWED = "slowed", "Infusion slowed"
    PAUSED = "paused", "Infusion paused, then resumed"
    STOPPED = "stopped", "Infusion stopped"


class InfusionReaction(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reactions")
    # Denormalised so that a patient's history of a protocol is one indexed query.
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="infusion_reactions")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="+")
    onset_at = models.DateTimeField()
    grade = models.PositiveSmallIntegerField(choices=ReactionGrade.choices)
    symptoms = ArrayField(models.CharField(max_length=20, choices=ReactionSymptom.choices), default=list)
    action = models.CharField(max_length=10, choices=ReactionAction.choices)
    treatment_given = models.CharField(max_length=255, blank=True, help_text="e.g. diphenhydramine 50 mg IV")
    premedication_change = models.CharField(
        max_length=255, blank=True, help_text="What later doses need before the infusion (e.g. add acetaminophen)."
    )
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["onset_at"]
        indexes = [models.Index(fields=["patient", "protocol"])]

    def __str__(self) -> str:
        return f"Grade {self.grade} reaction, {self.get_action_display().lower()}"

    @property
    def is_serious(self) -> bool:
        return self.grade >= SERIOUS_GRADE


class DrugLot(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="drug_lots")
    lot_number = models.CharField(max_length=40)
    expires_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"lot {self.lot_number} (expires {self.expires_on})"


class RateGiven(models.Model):
    """One rate step actually run (the ladder says what was planned)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="rates_given")
    started_at = models.DateTimeField()
    rate_ml_per_h = models.DecimalField(
        max_digits=7,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("2000"))],
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["appointment", "started_at"]

    def __str__(self) -> str:
        return f"{self.rate_ml_per_h} mL/h from {self.started_at:%H:%M}"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class Allergy(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    substance = models.CharField(max_length=80, help_text="Drug or substance, e.g. diphenhydramine.")
    reaction = models.CharField(max_length=120, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    is_active = models.BooleanField(default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["patient", "substance"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return f"{self.substance} ({self.get_severity_display().lower()})"


class PremedicationOrder(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="premedication_orders")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="+")
    drug = models.CharField(max_length=80)
    dose = models.CharField(max_length=40, help_text="e.g. 100 mg IV")
    minutes_before = models.PositiveSmallIntegerField(
        default=30, validators=[MaxValueValidator(240)], help_text="Given this many minutes before the infusion."
    )
    window_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(120)],
        help_text="Given up to this many minutes earlier or later than that (30 before ± 30: 0–60 min before).",
    )
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["patient", "protocol", "-minutes_before"]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose}, {self.minutes_before} min before"

    @property
    def earliest_minutes_before(self) -> int:
        return self.minutes_before + self.window_minutes

    @property
    def latest_minutes_before(self) -> int:
        return max(self.minutes_before - self.window_minutes, 0)

    @property
    def timing_label(self) -> str:
        return f"{self.latest_minutes_before}–{self.earliest_minutes_before} min before the infusion"


class PremedicationGiven(models.Model):
    """A pre-medication actually given for a dose: what, how much, when and by whom (``order``: the
    pre-medication order it fulfils; the infusion starts only once every active order is given in time)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="premedications_given")
    order = models.ForeignKey(PremedicationOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="given")
    drug = models.CharField(max_length=80)
    dose = models.CharField(max_length=40)
    given_at = models.DateTimeField()
    given_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["appointment", "given_at"]
        verbose_name_plural = "pre-medications given"

    def __str__(self) -> str:
        return f"{self.drug} {self.dose} given at {self.given_at:%H:%M}"


class PreparationStatus(models.TextChoices):
    TO_PREPARE = "to_prepare", "To prepare"
    PREPARED = "prepared", "Prepared"
    DISPENSED = "dispensed", "Dispensed"
    WASTED = "wasted", "Wasted"


class DosePreparation(models.Model):
    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="preparation")
    status = models.CharField(max_length=12, choices=PreparationStatus.choices, default=PreparationStatus.TO_PREPARE)
    prepared_at = models.DateTimeField(null=True, blank=True)
    dispensed_at = models.DateTimeField(null=True, blank=True)
    wasted_at = models.DateTimeField(null=True, blank=True)
    waste_reason = models.CharField(max_length=120, blank=True)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.get_status_display()
