"""A center's booking template for one weekday, versioned: every build that changes it adds a version.

The newest version of each (center, weekday) is the one the planner follows. Versions are never
edited, so what the template said on a given day can always be read back.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from chairs.models import Center


class TemplateSource(models.TextChoices):
    HISTORY = "history", "Past bookings"
    DECLARED = "declared", "Declared mix"


class BookingTemplate(models.Model):
    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="booking_templates")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)], help_text="0 = Monday")
    version = models.PositiveIntegerField()
    source = models.CharField(max_length=10, choices=TemplateSource.choices)
    weeks = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Weeks of bookings it was built from.")
    # Duration class (minutes, as text: JSON keys) -> patients a day the template was built for.
    demand = models.JSONField(default=dict)
    # [[start minute of the local day, duration class in minutes, starts kept], ...]
    slots = models.JSONField(default=list)
    patients = models.PositiveIntegerField(default=0)
    solver_status = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ("center", "weekday", "-version")
        constraints = [
            models.UniqueConstraint(fields=("center", "weekday", "version"), name="one_template_version_per_weekday")
        ]

    def __str__(self) -> str:
        return f"{self.center} weekday {self.weekday} v{self.version}"
