"""The center and its physical capacity: chairs, beds, opening hours and nurses.

A Center owns its chairs (or beds or rooms), weekly opening hours, closures,
chair blocks (a chair out of service) and nurse shifts. The staffing rules on
the Center tell the planner how many patients one nurse may watch at once and
how many infusions one nurse may start per start window.
"""

from __future__ import annotations

import zoneinfo
from datetime import time, timedelta

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from phonenumber_field.modelfields import PhoneNumberField


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not an IANA time zone such as America/New_York.")


def default_reminder_offsets() -> list[int]:
    return [72, 24]


# Sane bounds for what an administrator enters (a typo of a year should not block a chair for a decade).
MAX_SHIFT = timedelta(hours=24)
MAX_CHAIR_BLOCK = timedelta(days=31)
MIN_CLOSURE_YEAR, MAX_CLOSURE_YEAR = 2000, 2199


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Center(models.Model):
    name = models.CharField(max_length=120, unique=True)
    timezone = models.CharField(max_length=64, default="America/New_York", validators=[validate_timezone])
    phone = PhoneNumberField(blank=True)
    address = models.CharField(max_length=255, blank=True)
    slot_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(60)],
        help_text="Granularity of the booking grid, in minutes.",
    )
    patients_per_nurse = models.PositiveSmallIntegerField(
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="Patients one nurse may watch at once.",
    )
    starts_per_nurse_per_window = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="Infusions one nurse may start per start window.",
    )
    start_window_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text="Length of a start window, in minutes, counted from opening.",
    )
    noshow_grace_minutes = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(240)],
        help_text="How long after the booked start a patient may be marked a no-show.",
    )
    reminder_offsets_hours = ArrayField(
        models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(24 * 14)]),
        default=default_reminder_offsets,
        blank=True,
        help_text="Hours before the appointment at which reminders go out, e.g. 72, 24.",
    )
    quiet_hours_start = models.TimeField(default=time(21, 0), help_text="No reminders from this time…")
    quiet_hours_end = models.TimeField(default=time(8, 0), help_text="…until this time (patient's time zone).")
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="centers", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def clean(self) -> None:
        if self.slot_minutes and self.start_window_minutes and self.start_window_minutes % self.slot_minutes:
            raise ValidationError({"start_window_minutes": "The start window must be a whole number of booking slots."})


class OpeningHours(models.Model):
    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()
    # A split day: closed for a break between two sessions (the planner sees it as every chair blocked).
    break_starts = models.TimeField(null=True, blank=True, help_text="Closed from… (leave empty for no break)")
    break_ends = models.TimeField(null=True, blank=True, help_text="…until (a split day)")

    class Meta:
        ordering = ["center", "weekday"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.UniqueConstraint(fields=["center", "weekday"], name="one_opening_per_weekday"),
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="opening_closes_after_opens"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens and self.closes and self.closes <= self.opens:
            raise ValidationError({"closes": "Closing time must be after opening time."})
        if (self.break_starts is None) != (self.break_ends is None):
            raise ValidationError({"break_ends": "Give both the start and the end of the break, or neither."})
        if (
            self.break_starts is not None
            and self.opens
            and self.closes
            and not (self.opens < self.break_starts < self.break_ends < self.closes)
        ):
            raise ValidationError({"break_starts": "The break must lie inside the opening hours."})

    @property
    def has_break(self) -> bool:
        return self.break_starts is not None and self.break_ends is not None


class Closure(models.Model):
    """A whole day the center is closed (holiday, training day)."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["center", "date"]
        constraints = [models.UniqueConstraint(fields=["center", "date"], name="one_closure_per_day")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.reason}".strip()

    def clean(self) -> None:
        if self.date and not MIN_CLOSURE_YEAR <= self.date.year <= MAX_CLOSURE_YEAR:
            raise ValidationError(
                {"date": f"Give a closure date between the years {MIN_CLOSURE_YEAR} and {MAX_CLOSURE_YEAR}."}
            )


class ChairKind(models.TextChoices):
    CHAIR = "chair", "Chair"
    BED = "bed", "Bed"
    ROOM = "room", "Private room"


class ChairFeature(models.TextChoices):
    RECLINER = "recliner", "Recliner"
    ISOLATION = "isolation", "Isolation"
    NEAR_STATION = "near_station", "Near nurses' station"
    PUMP = "pump", "Infusion pump"
    TV = "tv", "TV"
    WHEELCHAIR_ACCESS = "wheelchair_access", "Wheelchair access"
    WINDOW = "window", "By a window"


class Chair(models.Model):
    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="chairs")
    label = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=ChairKind.choices, default=ChairKind.CHAIR)
    features = ArrayField(models.CharField(max_length=30, choices=ChairFeature.choices), default=list, blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the board (lowest first).")

    class Meta:
        ordering = ["center", "position", "kind", "label"]
        constraints = [models.UniqueConstraint(fields=["center", "label"], name="unique_chair_label")]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_kind_display()})"


class ChairBlock(models.Model):
    """A chair out of service for a time range (maintenance, cleaning, isolation)."""

    chair = models.ForeignKey(Chair, on_delete=models.CASCADE, related_name="blocks")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="block_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.chair.label}: {self.reason}"

    def clean(self) -> None:
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The block must end after it starts."})
        if self.start and self.end and self.end - self.start > MAX_CHAIR_BLOCK:
            raise ValidationError(
                {
                    "end": f"A chair block lasts at most {MAX_CHAIR_BLOCK.days} days; to take a chair out of service "
                    "for longer, mark it inactive."
                }
            )


class TsTzRange(models.Func):
    """``tstzrange(start, end, '[)')``: the half-open range of a row's times."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()

    def __init__(self, start: str, end: str) -> None:
        super().__init__(F(start), F(end), models.Value("[)"))


class NurseShift(models.Model):
    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="shifts")
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shifts")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="shift_ends_after_start"),
            ExclusionConstraint(
                name="no_overlapping_shifts_per_nurse",
                expressions=[
                    (TsTzRange("start", "end"), RangeOperators.OVERLAPS),
                    ("nurse", RangeOperators.EQUAL),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nurse} {self.start:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        from chairs.roles import shift_nurse_problem

        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": "The shift must end after it starts."})
        if self.start and self.end and self.end - self.start > MAX_SHIFT:
            raise ValidationError({"end": "A shift lasts at most 24 hours."})
        if self.nurse_id and self.center_id:
            problem = shift_nurse_problem(self.nurse, self.center)
            if problem:
                raise ValidationError({"nurse": problem})
