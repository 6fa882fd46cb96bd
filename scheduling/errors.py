"""Domain errors of scheduling, raised by services and mapped once to HTTP or form errors.

Every error carries a stable ``code`` (what refused) and a human ``message``;
``BookingRefused`` may carry several reasons at once (e.g. the chair lacks a
feature *and* nurse start capacity is full).
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
    """Another booking took the chair first (the database's exclusion constraint said so)."""

    def __init__(self, message: str = "This chair was just booked by someone else for an overlapping time.") -> None:
        super().__init__([Reason("chair_taken", message)])


class CenterBusy(SchedulingError):
    """The center's schedule is locked by another booking right now; try again."""

    code = "center_busy"
    http_status = 409


class InvalidTransition(SchedulingError):
    code = "invalid_transition"
    http_status = 409


class EarlyDischarge(InvalidTransition):
    """Discharge before the protocol's infusion and observation time is over: allowed only with a reason."""

    def __init__(self, *, due_local: str) -> None:
        self.due_local = due_local
        super().__init__(
            f"The protocol's infusion and observation time is not over until {due_local}: "
            "give the reason to discharge early.",
            code="early_discharge",
        )


@dataclass
class Warnings:
    """Things a user should know but that do not refuse an action."""

    items: list[Reason] = field(default_factory=list)
