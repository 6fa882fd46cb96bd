"""The insights' per-day summary: each past local day's slot figures, computed once and kept exact.

Cutting every booking at the slot grid is the expensive part of the chair, occupancy and nurse
views (about ten rows per booking). :class:`SlotFigure` keeps the result per center, local day,
slot length, slot and chair kind; :class:`SummarizedDay` marks a (center, day, slot length) as
stored. A view reads the stored rows of the marked days of its range and computes the others (today,
the future, anything not stored yet) live with the same SQL (:mod:`insights.summary`), so a figure
never depends on whether its day was stored.

Exactness: database triggers (migration ``0001``) delete a day's rows and its mark whenever
something it was computed from changes — an appointment of that day (its times, status, chair or
center), a nurse shift or chair block touching it, a closure on it — and all of a center's rows when
its chairs, opening hours or time zone change. Triggers see every path (pages, API, admin, bulk
updates, imports, raw SQL). A writer's trigger takes a shared advisory lock on the center and the
filler an exclusive one, so a day is never stored from a snapshot that misses a change committed
meanwhile.

:class:`VisitFigure`, :class:`StartFigure` and :class:`VisitDay` do the same for the per-visit part
of the waits, no-shows and nurse-load views (:mod:`insights.visits`, triggers of migration ``0004``).
"""

from __future__ import annotations

from django.db import models

from chairs.models import Center


class SummarizedDay(models.Model):
    """A (center, local day, slot length) whose :class:`SlotFigure` rows are stored and current."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    step_minutes = models.PositiveSmallIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["center", "day", "step_minutes"], name="one_summary_per_center_day_step")
        ]

    def __str__(self) -> str:
        return f"{self.day} ({self.step_minutes}-minute slots)"


class SlotFigure(models.Model):
    """One slot of one local day for one chair kind: chair-seconds booked, used and available,
    patients in a chair during it, and nurses on shift for the whole of it."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    step_minutes = models.PositiveSmallIntegerField()
    slot = models.TimeField(help_text="Local wall-clock start of the slot.")
    kind = models.CharField(max_length=10)
    slot_start = models.DateTimeField()
    slot_end = models.DateTimeField()
    scheduled_seconds = models.FloatField()
    actual_seconds = models.FloatField()
    watched = models.PositiveIntegerField()
    available_seconds = models.FloatField(help_text="Active chairs of the kind × the slot, less blocks and breaks.")
    nurses = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["center", "step_minutes", "day"], name="slotfigure_center_step_day")]
        constraints = [
            models.UniqueConstraint(
                fields=["center", "day", "step_minutes", "slot", "kind"], name="one_figure_per_slot_and_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.slot:%H:%M} {self.kind}"


class StoredCompliance(models.Model):
    """A past local day's booking-template compliance (``booking_templates.selectors.compliance``),
    stored once: counting a day against the template costs milliseconds of the planner's time, a
    year of days seconds. Kept exact like the slot figures: the triggers that forget a day's slot
    figures forget its compliance too, and a new template version (or any template change) forgets
    all of the center's (migration ``0003``). Keyed by the center's slot length, which sets the
    duration classes the count compares."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    slot_minutes = models.PositiveSmallIntegerField()
    in_template = models.PositiveIntegerField()
    bookings = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["center", "day", "slot_minutes"], name="one_compliance_per_center_day")
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.in_template} of {self.bookings}"


class WallClockField(models.DateTimeField):
    """A center-local wall-clock time (``timestamp without time zone``): written and read by the
    insights' SQL only, which compares it with other local times (start windows, hours of day)."""

    def db_type(self, connection) -> str:
        return "timestamp"


class VisitDay(models.Model):
    """A (center, local day) whose :class:`VisitFigure` rows are stored and current."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["center", "day"], name="one_visit_summary_per_center_day")]

    def __str__(self) -> str:
        return f"visits of {self.day}"


class VisitFigure(models.Model):
    """One appointment of a stored past day (any status but entered-in-error), reduced to what the
    waits, no-shows and nurse-load views read, already in the center's local time: so those views
    scan a narrow row per visit instead of converting each appointment's instants again. The
    thresholds (on-time grace, late cancellation) are applied when read, to the stored intervals."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="Local day of the booked start.")
    protocol = models.ForeignKey("scheduling.Protocol", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=20)
    start_local = WallClockField()
    end_hour = models.PositiveSmallIntegerField(help_text="Local hour of the booked end.")
    infusion_local = WallClockField(null=True)
    seated_after = models.DurationField(null=True, help_text="Chair start less the booked start.")
    wait_minutes = models.FloatField(null=True, help_text="Arrival to chair.")
    drift_minutes = models.FloatField(null=True, help_text="Discharge less the booked end.")
    lead_days = models.PositiveIntegerField(help_text="Local days from booking to the start (0 at least).")
    cancelled_before = models.DurationField(null=True, help_text="The start less the cancellation.")
    cancelled_by = models.CharField(max_length=20, blank=True)
    is_confirmed = models.BooleanField()
    is_reached = models.BooleanField(help_text="A reminder reached the patient's provider.")

    class Meta:
        indexes = [models.Index(fields=["center", "day"], name="visitfigure_center_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.start_local:%H:%M} {self.status}"


class StartFigure(models.Model):
    """Infusion starts of a stored day's visits per start window (the center's window length, local
    windows counted from midnight): booked (holding a chair) and actual. Stored with the day's
    :class:`VisitFigure` rows and forgotten with them, and when the center's window length changes."""

    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="Local day of the visits' booked start.")
    window_local = WallClockField(help_text="Local start of the start window.")
    scheduled = models.PositiveIntegerField()
    actual = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["center", "day"], name="startfigure_center_day")]

    def __str__(self) -> str:
        return f"{self.window_local:%Y-%m-%d %H:%M}: {self.scheduled} booked, {self.actual} started"
