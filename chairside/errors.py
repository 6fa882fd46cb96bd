"""Refusals of chair-side steps, mapped like every scheduling error (409 with reasons in the API)."""

from scheduling.errors import BookingRefused, SchedulingError


class ChairSideRefused(BookingRefused):
    """Seating or starting the infusion is refused at the chair (allergy, pre-medication, pharmacy)."""


class ChairSideInvalid(SchedulingError):
    """A chair-side record that cannot be kept (an expired lot, vitals of a patient not in the chair…)."""

    code = "chairside_invalid"
    http_status = 400
