"""Regimens: how much of the drug each dose is, for what weight, at what rate, and in what course.

A protocol (``scheduling.Protocol``) says when doses are due; its regimen here says what each dose
is. Every row is data a center admin edits (Django admin), seeded from the labels
(``regimens/library.py``, sources in each row's notes):

- :class:`Regimen` — one per protocol: how long a weight stays valid, the course (IVIG loading
  over 2–5 consecutive days, methylprednisolone ×3–5), the chair-side vitals interval, the
  pharmacy's preparation lead time and the diluted drug's stability, and what a reaction changes.
- :class:`DoseAmount` — the amount by dose number (donanemab 350 → 700 → 1050 → 1400 mg), fixed
  (mg) or by weight (mg/kg, g/kg, optionally divided over several days).
- :class:`WeightBand` — dose and infusion time by weight band (ravulizumab).
- :class:`RateLadder` and :class:`RateStep` — rate-titration steps (rate × minutes), from which the
  infusion time is computed; a ladder may be a *short option* allowed only when the patient had no
  serious reaction before (ocrelizumab's 2-hour infusion).
- :class:`PatientWeight` — a patient's weight with the day it was measured.
- :class:`Course` — the length a nurse chose for a patient's course (IVIG loading over 2–5 days): a
  dose amount that is a total over a course is divided over the days actually booked.

Which rows apply to a dose, and the chair time that follows, is decided in one place:
``regimens.dosing.dose_plan``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from patients.models import Patient
from scheduling.models import Protocol


class DoseRange(models.Model):
    """Rows that apply from one dose number to another (``to_dose`` blank: every later dose)."""

    from_dose = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    to_dose = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Blank: this and every later dose.")

    class Meta:
        abstract = True

    def covers(self, dose_number: int) -> bool:
        return self.from_dose <= dose_number and (self.to_dose is None or dose_number <= self.to_dose)

    def clean(self) -> None:
        if self.to_dose is not None and self.to_dose < self.from_dose:
            raise ValidationError({"to_dose": "The last dose cannot come before the first."})

    @property
    def doses_label(self) -> str:
        if self.to_dose is None:
            return f"dose {self.from_dose} on"
        if self.to_dose == self.from_dose:
            return f"dose {self.from_dose}"
        return f"doses {self.from_dose}–{self.to_dose}"


class Regimen(models.Model):
    protocol = models.OneToOneField(Protocol, on_delete=models.CASCADE, related_name="regimen")
    weight_valid_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
        help_text="A weight measured longer ago than this is stale: weigh the patient again.",
    )
    course_days_min = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="A course of consecutive daily doses lasts at least this many days."
    )
    course_days_max = models.PositiveSmallIntegerField(null=True, blank=True, help_text="… and at most this many.")
    course_doses = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The first N doses form the course (blank: every dose is part of a course, e.g. pulse steroids).",
    )
    course_may_skip_closed_days = models.BooleanField(
        default=False,
        help_text="A course may jump a closed day (weekend); otherwise it starts on a day that fits it whole.",
    )
    vitals_interval_minutes = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(5)], help_text="Vital signs during the infusion, every N minutes."
    )
    is_prepared_by_pharmacy = models.BooleanField(
        default=True, help_text="The dose is prepared and dispensed by the pharmacy before the infusion starts."
    )
    preparation_lead_minutes = models.PositiveSmallIntegerField(
        default=30, help_text="Minutes the pharmacy needs to prepare the dose."
    )
    stability_minutes = models.PositiveSmallIntegerField(
        default=240, help_text="Minutes the diluted drug stays usable: prepare no earlier than this before use."
    )
    uses_short_option = models.BooleanField(
        default=False,
        help_text="Book the short-option ladder (e.g. ocrelizumab's 2-hour infusion) for patients it allows.",
    )
    reaction_observation_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(240)],
        help_text="Extra observation after every later dose once the patient has had an infusion reaction.",
    )
    notes = models.TextField(blank=True, help_text="Sources and local defaults to verify.")
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Regimen of {self.protocol.code}"

    def clean(self) -> None:
        if bool(self.course_days_min) != bool(self.course_days_max):
            raise ValidationError({"course_days_max": "Give both the shortest and the longest course."})
        if self.course_days_min and self.course_days_max and self.course_days_min > self.course_days_max:
            raise ValidationError({"course_days_max": "The longest course cannot be shorter than the shortest."})

    @property
    def has_course(self) -> bool:
        return bool(self.course_days_max)


class AmountUnit(models.TextChoices):
    MG = "mg", "mg"
    MG_PER_KG = "mg/kg", "mg/kg"
    G_PER_KG = "g/kg", "g/kg"


class DoseAmount(DoseRange):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="dose_amounts")
    amount = models.DecimalField(max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    unit = models.CharField(max_length=8, choices=AmountUnit.choices, default=AmountUnit.MG)
    divided_over_days = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="The amount is a total given over this many daily infusions (IVIG 2 g/kg over 5 days); a course "
        "booked shorter or longer (2–5 days) divides the total over its own days.",
    )
    notes = models.CharField(max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["protocol", "from_dose"]

    def __str__(self) -> str:
        return f"{self.protocol.code} {self.doses_label}: {self.amount.normalize():f} {self.unit}"

    @property
    def is_by_weight(self) -> bool:
        return self.unit != AmountUnit.MG

    @property
    def is_course_total(self) -> bool:
        """The amount is a total over a course of daily infusions, not the amount of each."""
        return self.divided_over_days > 1

    def days_for(self, course_days: int | None) -> int:
        """Over how many infusions the amount is divided: the booked course's days, else the row's default."""
        return (course_days or self.divided_over_days) if self.is_course_total else 1

    def per_infusion_mg(self, weight_kg: Decimal | None, course_days: int | None = None) -> Decimal | None:
        """The amount of one infusion in mg (None when it depends on a weight not known)."""
        per_day = self.amount / self.days_for(course_days)
        if self.unit == AmountUnit.MG:
            return per_day
        if weight_kg is None:
            return None
        factor = Decimal(1000) if self.unit == AmountUnit.G_PER_KG else Decimal(1)
        return per_day * weight_kg * factor


class WeightBand(DoseRange):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="weight_bands")
    min_kg = models.DecimalField(max_digits=5, decimal_places=1, validators=[MinValueValidator(Decimal("1"))])
    below_kg = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True, help_text="Upper bound (not included); blank: no limit."
    )
    amount_mg = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    infusion_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(12 * 60)])
    notes = models.CharField(max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["protocol", "from_dose", "min_kg"]

    def __str__(self) -> str:
        upper = f"–<{self.below_kg.normalize():f}" if self.below_kg else "+"
        return f"{self.protocol.code} {self.doses_label}, {self.min_kg.normalize():f}{upper} kg: {self.amount_mg} mg"

    def fits(self, weight_kg: Decimal) -> bool:
        return self.min_kg <= weight_kg and (self.below_kg is None or weight_kg < self.below_kg)

    def clean(self) -> None:
        super().clean()
        if self.below_kg is not None and self.below_kg <= self.min_kg:
            raise ValidationError({"below_kg": "The upper bound must be above the lower one."})


class RateUnit(models.TextChoices):
    ML_PER_H = "mL/h", "mL/h"
    ML_PER_KG_PER_H = "mL/kg/h", "mL/kg/h"


class RateLadder(DoseRange):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="rate_ladders")
    name = models.CharField(max_length=80)
    rate_unit = models.CharField(max_length=8, choices=RateUnit.choices, default=RateUnit.ML_PER_H)
    volume_ml = models.PositiveIntegerField(
        null=True, blank=True, help_text="Bag volume (fixed-dose drugs); blank: from the amount and concentration."
    )
    concentration_mg_per_ml = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="For volumes computed from the amount (IVIG 10 %: 100).",
    )
    is_short_option = models.BooleanField(
        default=False, help_text="A faster alternative to the standard ladder for the same doses."
    )
    requires_no_serious_reaction = models.BooleanField(
        default=False, help_text="Allowed only if the patient never had a serious (grade 3 or 4) infusion reaction."
    )
    notes = models.CharField(max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["protocol", "from_dose", "is_short_option"]

    def __str__(self) -> str:
        return f"{self.protocol.code} {self.doses_label}: {self.name}"

    def clean(self) -> None:
        super().clean()
        if not self.volume_ml and not self.concentration_mg_per_ml:
            raise ValidationError({"volume_ml": "Give the bag volume or the concentration."})


class RateStep(models.Model):
    ladder = models.ForeignKey(RateLadder, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    rate = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Blank on the last step: at this rate until the bag is empty."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["ladder", "position"]
        constraints = [models.UniqueConstraint(fields=["ladder", "position"], name="one_rate_step_per_position")]

    def __str__(self) -> str:
        return f"{self.rate.normalize():f} {self.ladder.rate_unit} × {self.minutes or 'rest'}"


class PatientWeight(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="weights")
    kg = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("400"))],
    )
    measured_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["patient", "-measured_on", "-recorded_at"]
        indexes = [models.Index(fields=["patient", "-measured_on"])]
        constraints = [models.CheckConstraint(condition=Q(kg__gt=0), name="weight_positive")]

    def __str__(self) -> str:
        return f"{self.kg} kg on {self.measured_on}"


class Course(models.Model):
    """A course of consecutive daily doses as booked: which doses form it and over how many days.

    Recorded when the course is booked as one unit (``treatment.series.book_series``); a dose amount
    given as a total over a course (IVIG 2 g/kg) is divided over ``days``, and so is its chair time.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="courses")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="+")
    first_dose = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    days = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(10)])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["patient", "protocol", "first_dose"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "protocol", "first_dose"], name="one_course_per_first_dose")
        ]

    def __str__(self) -> str:
        return f"{self.protocol.code} doses {self.first_dose}–{self.last_dose}: {self.days}-day course"

    @property
    def last_dose(self) -> int:
        return self.first_dose + self.days - 1

    def covers(self, dose_number: int) -> bool:
        return self.first_dose <= dose_number <= self.last_dose
