"""Protocols (what is infused, and for how long) and appointments (who sits where, when).

An appointment occupies one chair for the protocol's whole chair time:
set-up + pre-medication + infusion + observation, with the infusion time of
the first dose(s) or of later doses. Its status follows FHIR R4's Appointment
status; the chair stages the board needs (in chair, infusing, observation)
are a sub-state of ``checked-in``.

The database itself refuses two active appointments on one chair whose
half-open time ranges overlap (an exclusion constraint over the chair and
``tstzrange(start, "end", '[)')``), so no code path can double-book a chair.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, RangeOperators
from django.contrib.postgres.indexes import GistIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from chairs.models import Center, Chair, ChairFeature, ChairKind, TsTzRange
from patients.models import Patient


class Protocol(models.Model):
    code = models.SlugField(max_length=32, unique=True, help_text="Short code shown on the board, e.g. OCR.")
    name = models.CharField(max_length=120)
    drug = models.CharField(max_length=80)
    brand = models.CharField(max_length=80, blank=True)
    indication = models.CharField(max_length=160, blank=True)
    first_dose_infusion_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(12 * 60)]
    )
    later_dose_infusion_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(12 * 60)]
    )
    initial_dose_count = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="How many doses at the start of a series take the first-dose infusion time.",
    )
    premedication_minutes = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(240)])
    observation_minutes = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(480)])
    setup_minutes = models.PositiveSmallIntegerField(
        default=10, validators=[MaxValueValidator(120)], help_text="Set-up and cleaning time."
    )
    required_chair_kind = models.CharField(max_length=10, choices=ChairKind.choices, blank=True)
    required_features = ArrayField(
        models.CharField(max_length=30, choices=ChairFeature.choices), default=list, blank=True
    )
    interval_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Days between maintenance doses; blank for one-off treatments."
    )
    interval_window_days = models.PositiveSmallIntegerField(
        default=0, help_text="A dose may be given this many days before or after its due date."
    )
    min_days_between_doses = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Never closer than this many days (e.g. 21 for donanemab)."
    )
    loading_intervals_days = ArrayField(
        models.PositiveSmallIntegerField(),
        default=list,
        blank=True,
        help_text="Days between the first doses of a loading phase, e.g. 7,7,7,7 for weekly ×4 then week 5.",
    )
    loading_window_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="± days a loading dose may move (0 = exactly on the day); blank: one day per week of gap, "
        "at most the maintenance window.",
    )
    cycle_doses = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Doses per treatment cycle (e.g. 4 weekly infusions); blank when not given in cycles.",
    )
    cycle_gap_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="A new cycle starts at least this many days after the previous cycle's last dose.",
    )
    observation_dose_count = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="The observation time applies to the first N doses only; blank: every dose.",
    )
    later_observation_minutes = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(480)],
        help_text="Observation after later doses, when the observation applies to the first doses only.",
    )
    notes = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(first_dose_infusion_minutes__gt=0), name="first_dose_positive"),
            models.CheckConstraint(condition=Q(later_dose_infusion_minutes__gt=0), name="later_dose_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def infusion_minutes(self, dose_number: int) -> int:
        if dose_number <= self.initial_dose_count:
            return self.first_dose_infusion_minutes
        return self.later_dose_infusion_minutes

    def observation_minutes_for(self, dose_number: int) -> int:
        if self.observation_dose_count and dose_number > self.observation_dose_count:
            return self.later_observation_minutes
        return self.observation_minutes

    def chair_minutes(self, dose_number: int, patient: Patient | None = None) -> int:
        """Whole chair time for this dose: set-up, pre-medication, infusion, observation.

        Asked of ``regimens.dosing.chair_minutes``, the one duration function: a weight band or a
        rate ladder sets the infusion time, and the patient's earlier reactions can lengthen it.
        """
        from regimens.dosing import chair_minutes

        return chair_minutes(protocol=self, dose_number=dose_number, patient=patient)

    def end_of(self, start: dt.datetime, dose_number: int, patient: Patient | None = None) -> dt.datetime:
        """When a dose starting at ``start`` frees its chair."""
        return start + dt.timedelta(minutes=self.chair_minutes(dose_number, patient))

    def clean(self) -> None:
        if self.min_days_between_doses and self.interval_days and self.min_days_between_doses > self.interval_days:
            raise ValidationError({"min_days_between_doses": "The minimum gap cannot exceed the dosing interval."})
        if self.interval_days and self.interval_window_days * 2 >= self.interval_days:
            raise ValidationError({"interval_window_days": "The window must be less than half the interval."})
        if bool(self.cycle_doses) != bool(self.cycle_gap_days):
            raise ValidationError({"cycle_gap_days": "Give both the doses per cycle and the gap between cycles."})


# The protocol values a center may run differently from the installation (its own chair time, interval).
CENTER_PROTOCOL_FIELDS = (
    "setup_minutes",
    "premedication_minutes",
    "first_dose_infusion_minutes",
    "later_dose_infusion_minutes",
    "observation_minutes",
    "later_observation_minutes",
    "interval_days",
    "interval_window_days",
)


class CenterProtocolSettings(models.Model):
    """One center's own values for a protocol's chair time and interval; a blank field keeps the installation's.

    Read only through :func:`scheduling.protocol_settings.protocol_for_center`, which the planner's
    requests, booking, moves, series and the dose rules all go through. Booked appointments keep
    the end they were booked with: a change applies to bookings made from then on.
    """

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="protocol_settings")
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="center_settings")
    setup_minutes = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(120)])
    premedication_minutes = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(240)])
    first_dose_infusion_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12 * 60)]
    )
    later_dose_infusion_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(12 * 60)]
    )
    observation_minutes = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(480)])
    later_observation_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(480)]
    )
    interval_days = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    interval_window_days = models.PositiveSmallIntegerField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "center protocol settings"
        constraints = [
            models.UniqueConstraint(fields=["center", "protocol"], name="one_protocol_setting_per_center"),
        ]

    def __str__(self) -> str:
        return f"{self.protocol.code} at {self.center}"

    def overrides(self) -> dict[str, int]:
        """The values this center sets (the blank ones left out)."""
        return {name: value for name in CENTER_PROTOCOL_FIELDS if (value := getattr(self, name)) is not None}

    def clean(self) -> None:
        """The protocol's own rules (window under half the interval…) on the values the center would run."""
        if self.protocol_id is None:
            return
        effective = Protocol(**{f.attname: getattr(self.protocol, f.attname) for f in Protocol._meta.concrete_fields})
        for name, value in self.overrides().items():
            setattr(effective, name, value)
        effective.clean()


class AppointmentStatus(models.TextChoices):
    """FHIR R4 Appointment.status, value for value."""

    PROPOSED = "proposed", "Proposed"
    PENDING = "pending", "Pending"
    BOOKED = "booked", "Booked"
    ARRIVED = "arrived", "Arrived"
    CHECKED_IN = "checked-in", "Checked in"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"
    NOSHOW = "noshow", "No-show"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    WAITLIST = "waitlist", "Waitlist"


class ChairStage(models.TextChoices):
    """Where a checked-in patient is in the chair (a sub-state of checked-in)."""

    NONE = "", "Not seated"
    IN_CHAIR = "in_chair", "In chair"
    INFUSING = "infusing", "Infusing"
    OBSERVATION = "observation", "Observation"


class CancelledBy(models.TextChoices):
    PATIENT = "patient", "Patient"
    CENTER = "center", "Center"


class AppointmentQuerySet(models.QuerySet):
    def active(self) -> AppointmentQuerySet:
        """Appointments that hold their chair."""
        return self.filter(status__in=BLOCKING_STATUSES)

    def overlapping(self, start: dt.datetime, end: dt.datetime) -> AppointmentQuerySet:
        """Appointments whose time overlaps [start, end), spelled as the range expression of the
        GiST indexes (``appointment_center_span`` with the center; the double-booking constraint's for
        the active ones): "start < end" on (center, start) read every earlier appointment."""
        return self.alias(span=TsTzRange("start", "end")).filter(span__overlap=(start, end))


# Statuses that occupy the chair; the exclusion constraint applies to these.
# Cancelled, no-show, entered-in-error, waitlist and proposed ones free it.
BLOCKING_STATUSES = (
    AppointmentStatus.PENDING,
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.FULFILLED,
)


class Appointment(models.Model):
    BLOCKING_STATUSES = BLOCKING_STATUSES

    center = models.ForeignKey(Center, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="appointments")
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="appointments")
    start = models.DateTimeField()
    end = models.DateTimeField()
    dose_number = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    status = models.CharField(max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    chair_stage = models.CharField(max_length=12, choices=ChairStage.choices, default=ChairStage.NONE, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True)
    cancelled_by = models.CharField(max_length=10, choices=CancelledBy.choices, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True, help_text="When the patient confirmed.")
    arrived_at = models.DateTimeField(null=True, blank=True)
    chair_start_at = models.DateTimeField(null=True, blank=True)
    infusion_start_at = models.DateTimeField(null=True, blank=True)
    observation_start_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    readiness_override_reason = models.CharField(
        max_length=255,
        blank=True,
        help_text="Why a center admin booked this dose without a valid order or a completable prerequisite.",
    )
    readiness_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    chair_check_reason = models.CharField(
        max_length=255,
        blank=True,
        help_text="Why the dose went ahead at the chair with readiness items open (a nurse's acknowledgement "
        "or a center admin's override).",
    )
    chair_check_codes = ArrayField(
        models.CharField(max_length=40),
        default=list,
        blank=True,
        help_text="The readiness items acknowledged or overridden at the chair.",
    )
    chair_check_items = models.TextField(blank=True, help_text="What was open at the chair, in words.")
    chair_check_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    chair_check_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The reason kept with a version (why discharged early, why no post-observation vitals) in full.
    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["start", "chair"]
        indexes = [
            models.Index(fields=["center", "start"]),
            models.Index(fields=["patient", "start"]),
            models.Index(fields=["status"]),
            # The center's appointments of any status overlapping a range (the board's day): "start <
            # day end" on (center, start) alone reads every earlier appointment of the center.
            GistIndex(F("center"), TsTzRange("start", "end"), name="appointment_center_span"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appointment_ends_after_start"),
            models.CheckConstraint(condition=Q(dose_number__gte=1), name="dose_number_positive"),
            ExclusionConstraint(
                name="no_double_booked_chair",
                expressions=[
                    (TsTzRange("start", "end"), RangeOperators.OVERLAPS),
                    ("chair", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=[s.value for s in BLOCKING_STATUSES]),
                violation_error_message="This chair is already booked at that time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient.full_name}: {self.protocol.code} #{self.dose_number} {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in self.BLOCKING_STATUSES

    @property
    def chair_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class IdempotencyKey(models.Model):
    """A replayable API response, keyed by the client's Idempotency-Key header."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key")]

    def __str__(self) -> str:
        return self.key
