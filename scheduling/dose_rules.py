"""The label's rules for when a dose may be given: one function per rule, called by every path.

Booking, moving and rescheduling (``services.book_appointment`` /
``move_appointment``, hence the pages, the API, series booking and re-flow and
the late-arrival move), the slot finders (page and API) and the Django admin
ask :func:`dose_refusals`; the state machine's ``seat`` and ``start_infusion``
steps ask :func:`chair_gate`. Each refusal is a :class:`~scheduling.errors.Reason`
with a stable code and a plain sentence.

*A series* is the patient's doses of one protocol (the doctor's order is per
patient and protocol). Its *active* doses are the booked and given ones
(``BLOCKING_STATUSES``); cancelled, no-show and entered-in-error doses do not count.

- **Sequence** (:func:`sequence_refusals`): one active appointment per dose
  number (``dose_number_taken``), and dose numbers rise with time: a dose may
  not be dated before a lower-numbered dose or after a higher-numbered one
  (``dose_out_of_order``).
- **Spacing** (:func:`spacing_refusals`): the nearest active dose before and
  after the new date must be at least :func:`min_days_before` days away
  (``doses_too_close``, naming the other dose and the number of days). That
  minimum is the gap into the later of the two doses: at a new cycle the
  protocol's ``cycle_gap_days``; else the label's ``min_days_between_doses``
  (unless a loading gap is shorter, as ocrelizumab's day 15); else the due gap
  less its ± window. Days are counted between local dates in the center's zone.
- **At the chair** (:func:`chair_gate`): seating or starting an infusion with
  readiness items open is refused with the list. Items marked acknowledgeable
  (a pending authorization…) go ahead when a nurse acknowledges them with a
  reason; any other item only with a center admin's override and a reason.
  The reason, who and when, and what was open are stored on the appointment
  and in its history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from chairs.roles import CENTER_ADMIN, NURSE, has_role
from scheduling import planner
from scheduling.errors import NotReadyAtChair, Reason
from scheduling.models import BLOCKING_STATUSES, Appointment, Protocol

CHAIR_STEPS = ("seat", "start_infusion")


# --- Gaps between doses ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    days: int
    window: int


def _is_cycle_end(protocol: Protocol, dose_number: int) -> bool:
    return bool(protocol.cycle_doses and protocol.cycle_gap_days) and dose_number % protocol.cycle_doses == 0


def gap_after(protocol: Protocol, dose_number: int) -> Gap | None:
    """Days from this dose to when the next is due, and the ± window; None when there is no next dose."""
    loading = list(protocol.loading_intervals_days or [])
    if dose_number <= len(loading):
        days = loading[dose_number - 1]
        if protocol.loading_window_days is not None:
            return Gap(days, protocol.loading_window_days)
        return Gap(days, min(protocol.interval_window_days, days // 7))
    if _is_cycle_end(protocol, dose_number):
        return Gap(protocol.cycle_gap_days, protocol.interval_window_days)
    if not protocol.interval_days:
        return None
    return Gap(protocol.interval_days, protocol.interval_window_days)


def min_days_before(protocol: Protocol, dose_number: int) -> int | None:
    """The fewest days dose ``dose_number`` may follow the dose before it (None: no rule)."""
    if dose_number <= 1:
        return None
    previous = dose_number - 1
    if _is_cycle_end(protocol, previous):
        return protocol.cycle_gap_days
    gap = gap_after(protocol, previous)
    explicit = protocol.min_days_between_doses
    is_loading = previous <= len(protocol.loading_intervals_days or [])
    if explicit and not (is_loading and gap is not None and explicit > gap.days):
        return explicit
    if gap is None:
        return None
    return max(gap.days - gap.window, 0)


# --- The patient's series ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SeriesDose:
    pk: int
    dose_number: int
    start: dt.datetime
    status: str

    def verb(self) -> str:
        return "given" if self.status in ("arrived", "checked-in", "fulfilled") else "booked"


def series_doses(*, patient_id: int, protocol_id: int, exclude_appointment_id: int | None = None) -> list[SeriesDose]:
    """The active doses of the patient's series, by start (one query)."""
    rows = (
        Appointment.objects.filter(patient_id=patient_id, protocol_id=protocol_id, status__in=BLOCKING_STATUSES)
        .exclude(pk=exclude_appointment_id)
        .order_by("start", "pk")
        .values_list("pk", "dose_number", "start", "status")
    )
    return [SeriesDose(*row) for row in rows]


def _day(moment: dt.datetime, tz) -> dt.date:
    return moment.astimezone(tz).date()


def _on(dose: SeriesDose, tz) -> str:
    return f"dose {dose.dose_number} ({dose.verb()} for {_day(dose.start, tz):%Y-%m-%d})"


def sequence_refusals(*, dose_number: int, start: dt.datetime, doses: list[SeriesDose], tz) -> list[Reason]:
    """One active appointment per dose number, and dose numbers in the order of their dates."""
    taken = [d for d in doses if d.dose_number == dose_number]
    if taken:
        return [
            Reason(
                "dose_number_taken",
                f"Dose {dose_number} of this series already has an appointment: {_on(taken[0], tz)}. "
                "Move or cancel that one, or book the next dose number.",
            )
        ]
    reasons = []
    lower_after = [d for d in doses if d.dose_number < dose_number and d.start >= start]
    if lower_after:
        other = max(lower_after, key=lambda d: d.start)
        reasons.append(
            Reason(
                "dose_out_of_order",
                f"Dose {dose_number} cannot come before {_on(other, tz)}: doses are given in order.",
            )
        )
    higher_before = [d for d in doses if d.dose_number > dose_number and d.start <= start]
    if higher_before:
        other = min(higher_before, key=lambda d: d.start)
        reasons.append(
            Reason(
                "dose_out_of_order",
                f"Dose {dose_number} cannot come after {_on(other, tz)}: doses are given in order.",
            )
        )
    return reasons


def spacing_refusals(
    *, protocol: Protocol, dose_number: int, start: dt.datetime, doses: list[SeriesDose], tz
) -> list[Reason]:
    """The nearest active dose before and after the new date must be far enough away."""
    day = _day(start, tz)
    before = [d for d in doses if d.start <= start]
    after = [d for d in doses if d.start > start]
    neighbours = []
    if before:
        neighbours.append(max(before, key=lambda d: (d.start, d.pk)))
    if after:
        neighbours.append(min(after, key=lambda d: (d.start, d.pk)))
    reasons = []
    for other in neighbours:
        needed = min_days_before(protocol, max(dose_number, other.dose_number))
        if needed is None:
            continue
        days = abs((day - _day(other.start, tz)).days)
        if days < needed:
            side = "after" if other.start <= start else "before"
            reasons.append(
                Reason(
                    "doses_too_close",
                    f"Dose {dose_number} would be {days} day{'s' if days != 1 else ''} {side} {_on(other, tz)}; "
                    f"{protocol.name} doses must be at least {needed} days apart.",
                )
            )
    return reasons


def dose_refusals(
    *,
    patient_id: int,
    protocol: Protocol,
    dose_number: int,
    start: dt.datetime,
    tz,
    exclude_appointment_id: int | None = None,
    doses: list[SeriesDose] | None = None,
) -> list[Reason]:
    """Every reason this dose may not be given at ``start`` (empty when it may)."""
    if doses is None:
        doses = series_doses(
            patient_id=patient_id, protocol_id=protocol.pk, exclude_appointment_id=exclude_appointment_id
        )
    sequence = sequence_refusals(dose_number=dose_number, start=start, doses=doses, tz=tz)
    if any(r.code == "dose_number_taken" for r in sequence):
        return sequence
    return sequence + spacing_refusals(protocol=protocol, dose_number=dose_number, start=start, doses=doses, tz=tz)


def dose_window(*, protocol: Protocol, dose_number: int, doses: list[SeriesDose], tz) -> tuple[dt.date, dt.date]:
    """The local days the dose may fall on given the rest of its series (date.min/max when unbounded)."""
    earliest, latest = dt.date.min, dt.date.max
    for other in doses:
        other_day = _day(other.start, tz)
        needed = min_days_before(protocol, max(dose_number, other.dose_number)) or 0
        if other.dose_number < dose_number:
            earliest = max(earliest, other_day + dt.timedelta(days=needed))
        elif other.dose_number > dose_number:
            latest = min(latest, other_day - dt.timedelta(days=needed))
        else:
            return dt.date.max, dt.date.min
    return earliest, latest


def screen_plan(
    result: planner.PlanResult,
    *,
    patient_id: int,
    protocol: Protocol,
    dose_number: int,
    tz,
    exclude_appointment_id: int | None = None,
) -> planner.PlanResult:
    """The planner's candidates without those the series rules refuse; each day says why it lost some."""
    doses = series_doses(patient_id=patient_id, protocol_id=protocol.pk, exclude_appointment_id=exclude_appointment_id)
    if not doses:
        return result
    kept, refused_days = [], {}
    for candidate in result.candidates:
        reasons = dose_refusals(
            patient_id=patient_id,
            protocol=protocol,
            dose_number=dose_number,
            start=candidate.start,
            tz=tz,
            doses=doses,
        )
        if reasons:
            refused_days.setdefault(_day(candidate.start, tz), reasons)
        else:
            kept.append(candidate)
    if not refused_days:
        return result
    days = []
    for report in result.days:
        reasons = refused_days.get(report.day)
        if reasons:
            removed = sum(1 for c in result.candidates if _day(c.start, tz) == report.day) - sum(
                1 for c in kept if _day(c.start, tz) == report.day
            )
            report = replace(
                report,
                candidate_count=max(report.candidate_count - removed, 0),
                reasons=(*report.reasons, *(planner.Refusal(r.code, r.message) for r in reasons)),
            )
        days.append(report)
    return planner.PlanResult(tuple(kept), tuple(days))


def clamp_search(
    *,
    patient_id: int,
    protocol: Protocol,
    dose_number: int,
    date_from: dt.date,
    date_to: dt.date,
    tz,
    exclude_appointment_id: int | None = None,
) -> tuple[dt.date, dt.date]:
    """The search range narrowed to the days the series rules allow (may come back empty: from > to)."""
    doses = series_doses(patient_id=patient_id, protocol_id=protocol.pk, exclude_appointment_id=exclude_appointment_id)
    earliest, latest = dose_window(protocol=protocol, dose_number=dose_number, doses=doses, tz=tz)
    return max(date_from, earliest), min(date_to, latest)


# --- At the chair ------------------------------------------------------------------------------------


def chair_gate(*, actor, appointment: Appointment, action: str, reason: str, now: dt.datetime) -> None:
    """Refuse seating or starting a dose with readiness items open; record an acknowledgement or override.

    Called by ``services.transition`` on the (locked) appointment, so no path can skip it.
    """
    from treatment.readiness import readiness_of
    from treatment.services import can_override, readiness_required

    if action not in CHAIR_STEPS or not readiness_required():
        return
    today = _day(now, appointment.center.tzinfo)
    readiness = readiness_of(appointment, today=today)
    items = [*readiness.missing, *readiness.on_the_day]
    if not items:
        return
    codes = sorted({item.code for item in items})
    if appointment.chair_check_reason and set(codes) <= set(appointment.chair_check_codes):
        return  # acknowledged (or overridden) when seated; nothing new since
    listed = [Reason(item.code, item.message) for item in items]
    blocking = [item for item in items if not item.is_acknowledgeable]
    reason = reason.strip()
    if blocking:
        if not reason:
            raise NotReadyAtChair(
                listed,
                code="not_ready",
                message="This dose is not ready to be given; only a center admin may override it, with a reason.",
            )
        if not can_override(actor):
            raise NotReadyAtChair(
                listed, code="override_not_allowed", message="Only a center admin may give a dose that is not ready."
            )
    elif not reason:
        raise NotReadyAtChair(
            listed,
            code="acknowledgement_required",
            message="A nurse must acknowledge these items with a reason before going ahead.",
        )
    elif actor is None or not has_role(actor, NURSE, CENTER_ADMIN):
        raise NotReadyAtChair(
            listed, code="acknowledgement_not_allowed", message="Only a nurse may acknowledge these items."
        )
    appointment.chair_check_reason = reason[:255]
    appointment.chair_check_codes = codes
    appointment.chair_check_items = " ".join(item.message for item in items)
    appointment.chair_check_by = actor
    appointment.chair_check_at = now
    kind = "Overridden" if blocking else "Acknowledged"
    appointment._change_reason = f"{kind} at the chair: {reason}"[:100]
