"""Domain errors of scheduling, raised by services and mapped once to HTTP or form errors.

Every error carries a stable ``code`` (what refused) and a human ``message``;
``BookingRefused`` may carry several reasons at once (e.g. the chair lacks a
feature *and* nurse start capacity is full). ``refusal(reasons)`` raises the
named refusal for the first reason (``SlotTaken``, ``NurseCapacityFull``,
``PatientBusy``, ``OutsideOpeningHours``, ``ChairUnavailable``); each is a
``BookingRefused``, so a caller may catch either.

``http_status`` is the status the API answers with; the one place that turns
these errors into HTTP is ``infusion_center.api_common.exception_handler``, and
into a page's words ``scheduling.views_booking._refusal_message`` (pages
that only report show ``message``).
"""

from __future__ import annotations

from dataclasses import dataclass


class SchedulingError(Exception):
    code = "scheduling_error"
    http_status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def as_dict(self) -> dict:
        return {"code": self.code, "detail": self.message}


@dataclass(frozen=True)
class Reason:
    code: str
    message: str


class BookingRefused(SchedulingError):
    """The slot cannot be booked; ``reasons`` lists every constraint that refused it."""

    code = "booking_refused"
    http_status = 409

    def __init__(self, reasons: list[Reason]) -> None:
        self.reasons = reasons
        super().__init__(" ".join(r.message for r in reasons) or "This slot cannot be booked.", code=reasons[0].code)

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "detail": self.message,
            "reasons": [{"code": r.code, "message": r.message} for r in self.reasons],
        }


class SlotTaken(BookingRefused):
    """The chair (or every suitable chair) is booked for that time; with no reasons, another booking took
    it first (the database's exclusion constraint said so)."""

    def __init__(self, reasons: list[Reason] | None = None) -> None:
        super().__init__(reasons or [Reason("chair_taken", TAKEN_MESSAGE)])


TAKEN_MESSAGE = "This chair was just booked by someone else for an overlapping time."


class NurseCapacityFull(BookingRefused):
    """No nurse on shift, or the nurses on shift may watch or start no more patients then."""


class PatientBusy(BookingRefused):
    """The patient already has an appointment at that time."""


class OutsideOpeningHours(BookingRefused):
    """The center is closed then, or the chair time does not fit its hours or time grid."""


class ChairUnavailable(BookingRefused):
    """The chair is blocked, out of service, of another center, or lacks what the protocol needs."""


_NAMED_REFUSALS: dict[str, type[BookingRefused]] = {
    **dict.fromkeys(("chair_taken", "chairs_full"), SlotTaken),
    **dict.fromkeys(("nurse_start_full", "nurse_watch_full", "no_nurse_on_shift"), NurseCapacityFull),
    "patient_busy": PatientBusy,
    **dict.fromkeys(("closed", "outside_hours", "off_grid", "too_long_for_day"), OutsideOpeningHours),
    **dict.fromkeys(
        ("chair_blocked", "chair_lacks_features", "chair_inactive_or_unknown", "no_chair_with_features"),
        ChairUnavailable,
    ),
}


def refusal(reasons: list[Reason]) -> BookingRefused:
    """The named refusal for these reasons, chosen by the first (whose code the error carries)."""
    return _NAMED_REFUSALS.get(reasons[0].code, BookingRefused)(reasons) if reasons else BookingRefused(reasons)


class CenterBusy(SchedulingError):
    """The center's schedule is locked by another booking right now; try again."""

    code = "center_busy"
    http_status = 409


class InvalidTransition(SchedulingError):
    code = "invalid_transition"
    http_status = 409


class ActionNotPermitted(SchedulingError):
    """The actor's role (or center) does not allow this step; see ``services.ACTION_ROLES``."""

    code = "not_permitted"
    http_status = 403


class NotReadyAtChair(BookingRefused):
    """The dose is not ready to be given: seating or starting it is refused, listing what is open.

    ``code`` says what would let it go ahead: ``acknowledgement_required`` (a nurse acknowledges the
    listed items with a reason), ``not_ready`` (a blocking item: only a center admin's override with a
    reason), ``override_not_allowed`` (a reason was given by someone who may not override).
    """

    def __init__(self, reasons: list[Reason], *, code: str, message: str) -> None:
        super().__init__(reasons)
        self.code = code
        self.message = f"{message} {' '.join(r.message for r in reasons)}"
        self.args = (self.message,)


class EarlyDischarge(InvalidTransition):
    """Discharge before the protocol's infusion and observation time is over: allowed only with a reason."""

    def __init__(self, *, due_local: str) -> None:
        self.due_local = due_local
        super().__init__(
            f"The protocol's infusion and observation time is not over until {due_local}: "
            "give the reason to discharge early.",
            code="early_discharge",
        )
