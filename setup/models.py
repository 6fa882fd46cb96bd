"""What center setup keeps beside the center itself: holidays that recur, rota patterns, the checklist.

A :class:`RecurringHoliday` is a date that comes back every year (1 January, 4 July…); the
holiday calendar turns it into an ordinary :class:`~chairs.models.Closure` for a chosen year,
so the planner keeps reading closures only. A :class:`RotaPattern` is one nurse's weekly
pattern; it generates ordinary :class:`~chairs.models.NurseShift` rows for the coming weeks
and remembers which ones it made, so a changed pattern can take back its future shifts while
exceptions (a sick day, a swap) are edited on the shifts themselves.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from chairs.models import Center, NurseShift, Weekday


class RecurringHoliday(models.Model):
    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="recurring_holidays")
    month = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(12)])
    day = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(31)])
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["center", "month", "day"]
        constraints = [models.UniqueConstraint(fields=["center", "month", "day"], name="one_holiday_per_date")]

    def __str__(self) -> str:
        return f"{self.day} {dt.date(2000, self.month, 1):%B}: {self.name}"

    def clean(self) -> None:
        if self.month and self.day:
            try:
                dt.date(2000, self.month, self.day)  # 2000 is a leap year: 29 February is allowed
            except ValueError:
                raise ValidationError({"day": "That month has no such day."}) from None

    def date_in(self, year: int) -> dt.date | None:
        """The holiday's date in that year (None for 29 February in a common year)."""
        try:
            return dt.date(year, self.month, self.day)
        except ValueError:
            return None


class RotaPattern(models.Model):
    """A nurse's weekly pattern, e.g. Monday to Thursday 07:00–15:30, every week or every other week."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="rota_patterns")
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rota_patterns")
    weekdays = ArrayField(models.PositiveSmallIntegerField(choices=Weekday.choices))
    starts_at = models.TimeField(help_text="Local wall-clock time in the center's time zone.")
    ends_at = models.TimeField()
    every_weeks = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text="1 = every week, 2 = alternate weeks (counted from the first week).",
    )
    first_week = models.DateField(help_text="The pattern starts in the week of this date.")
    until = models.DateField(null=True, blank=True, help_text="Last day of the pattern (empty: no end).")
    generated_shifts = models.ManyToManyField(NurseShift, related_name="rota_patterns", blank=True)
    history = HistoricalRecords(excluded_fields=["generated_shifts"])

    class Meta:
        ordering = ["center", "nurse__last_name", "nurse__first_name", "starts_at"]

    def __str__(self) -> str:
        days = ", ".join(Weekday(d).label[:3] for d in sorted(self.weekdays))
        every = "" if self.every_weeks == 1 else f" every {self.every_weeks} weeks"
        return f"{days} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}{every}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The shift must end after it starts (same day)."})
        if self.until and self.first_week and self.until < self.first_week:
            raise ValidationError({"until": "The pattern must end after it starts."})
        if self.weekdays is not None and not self.weekdays:
            raise ValidationError({"weekdays": "Choose at least one weekday."})


class SetupProgress(models.Model):
    """The checklist items that cannot be read from the data itself."""

    center = models.OneToOneField(Center, on_delete=models.CASCADE, related_name="setup_progress")
    protocols_reviewed_at = models.DateTimeField(null=True, blank=True)
    protocols_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Setup of {self.center}"
