"""Domain errors of treatment plans; each is a ``scheduling.errors.BookingRefused`` (mapped like one)."""

from __future__ import annotations

from scheduling.errors import BookingRefused, SchedulingError


class DoseNotReady(BookingRefused):
    """The dose cannot be ready by its date (no valid order, a denied or used-up authorization, a check
    too late to do), and no center admin overrode it."""


class StageNotAllowed(SchedulingError):
    """The authorization's workflow does not allow this stage now (see ``treatment.stages.NEXT``)."""

    code = "stage_not_allowed"
    http_status = 409
