"""Whole-series booking: propose every remaining dose of an order through the planner, book all or none.

Each dose is due one interval after the previous one — the loading intervals
first (eculizumab weekly ×4 then week 5; ocrelizumab's second half dose on
day 15), then the maintenance interval, or the gap between cycles after a
cycle's last dose (efgartigimod) — and may move within the protocol's ± window
(``dose_rules.gap_after``), never closer than ``dose_rules.min_days_before``. The planner picks the best slot on the day
closest to the due date; the next dose is then planned from the date
actually proposed. The order's and the approved authorization's date ranges,
and its visits left, bound the series.

A *re-flow* re-plans from the last dose actually given (after a missed or
delayed dose): the patient's future booked doses of the protocol are
cancelled and the following doses proposed again, in the same transaction as
the new bookings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from chairs.models import Chair, NurseShift
from chairs.roles import Actor
from regimens.dosing import DosePlan, dose_plan
from scheduling import planner
from scheduling.dose_rules import gap_after, min_days_before
from scheduling.errors import BookingRefused, Reason
from scheduling.models import BLOCKING_STATUSES, Appointment, AppointmentStatus, CancelledBy
from scheduling.planner_input import check_dose_placement, planner_input_for
from scheduling.protocol_settings import protocol_for_center
from scheduling.slot_search import find_candidates
from treatment.models import AuthorizationStatus, Order, PriorAuthorization
from treatment.readiness import Readiness, assess

GIVEN_STATUSES = (AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN, AppointmentStatus.FULFILLED)
REPLACEABLE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)
FIRST_DOSE_SEARCH_DAYS = 14
OVERDUE_SEARCH_DAYS = 7
OPEN_ENDED_DOSES = 12
MAX_DOSES = 30
REFLOW_REASON = "Re-planned: the series was re-flowed from the last dose given."


@dataclass
class ProposedDose:
    dose_number: int
    due: dt.date
    earliest: dt.date
    latest: dt.date
    chair_id: int | None = None
    chair_label: str = ""
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    note: str = ""
    problems: list[str] = field(default_factory=list)
    is_pinned: bool = False
    readiness: Readiness | None = None
    plan: DosePlan | None = None

    @property
    def is_placed(self) -> bool:
        return self.start is not None and self.chair_id is not None and not self.problems


@dataclass
class SeriesProposal:
    order: Order
    doses: list[ProposedDose]
    replaces: list[Appointment]
    notes: list[str]
    is_reflow: bool
    # Doses the order allows but the proposal leaves to book later (beyond the nurse rota), as (first, last).
    left_for_later: tuple[int, int | None] | None = None
    is_course: bool = False

    @property
    def is_bookable(self) -> bool:
        return bool(self.doses) and all(d.is_placed for d in self.doses)


def _local(moment: dt.datetime, tz) -> dt.date:
    return moment.astimezone(tz).date()


def approved_authorization(order: Order) -> PriorAuthorization | None:
    approved = [a for a in order.authorizations.all() if a.status == AuthorizationStatus.APPROVED]
    return max(approved, key=lambda a: (a.approved_until or dt.date.max, a.pk), default=None)


def propose_series(
    *,
    order: Order,
    reflow: bool = False,
    first_day: dt.date | None = None,
    time_of_day: str = "any",
    pins: dict[int, tuple[int, dt.datetime]] | None = None,
    now: dt.datetime | None = None,
    course_days: int | None = None,
) -> SeriesProposal:
    """Every remaining dose of the order, each placed by the planner (or explained), up to the last day
    nurses are on the rota (what lies beyond is named in ``left_for_later``). A course of consecutive
    daily doses (``regimens.courses``) is proposed whole, ``course_days`` long."""
    pins = pins or {}
    now = now or timezone.now()
    patient, center = order.patient, order.patient.center
    protocol = protocol_for_center(order.protocol, center)
    tz = center.tzinfo
    today = _local(now, tz)
    held = list(
        Appointment.objects.filter(patient=patient, protocol=protocol, status__in=BLOCKING_STATUSES).order_by("start")
    )
    if reflow:
        given = [a for a in held if a.status in GIVEN_STATUSES]
        last = max(given, key=lambda a: a.start, default=None)
        replaces = [a for a in held if a.status in REPLACEABLE_STATUSES and a.start >= now]
    else:
        last = max(held, key=lambda a: (a.dose_number, a.start), default=None)
        replaces = []
    next_dose = max(order.first_dose_number, last.dose_number + 1 if last else 1)
    anchor = _local(last.start, tz) if last else None
    notes: list[str] = []
    previous = last.dose_number if last else None
    if last:
        notes.append(f"Planned from dose {last.dose_number} on {anchor:%Y-%m-%d}.")
        from regimens.courses import dose_after_course

        after_course = dose_after_course(patient=patient, protocol=order.protocol, last_dose=last.dose_number)
        if after_course is not None and after_course > next_dose:
            # A shorter course gave the whole course's total (IVIG 2 g/kg over 2 days): what follows is the
            # dose after the label's course, spaced as after its last day.
            notes.append(
                f"The loading course ended with dose {last.dose_number}: the next dose is dose {after_course}."
            )
            next_dose, previous = after_course, after_course - 1
    final_dose = order.last_dose_number or next_dose + OPEN_ENDED_DOSES - 1
    final_dose = min(final_dose, next_dose + MAX_DOSES - 1)
    authorization = approved_authorization(order)
    visits_left = None
    if authorization and authorization.approved_visits is not None:
        replaced_ids = {a.pk for a in replaces}
        used = sum(1 for a in held if a.pk not in replaced_ids and authorization.covers_date(_local(a.start, tz)))
        visits_left = authorization.approved_visits - used
    replaced_ids = {a.pk for a in replaces}
    doses: list[ProposedDose] = []
    proposed_slots: list[planner.BookedSlot] = []
    horizon = bookable_horizon(center)
    left_for_later = None
    if not reflow and not pins:
        from regimens.courses import propose_course

        course = propose_course(
            order=order, next_dose=next_dose, first_day=first_day, time_of_day=time_of_day, now=now, days=course_days
        )
        if course is not None:
            return course
    for dose_number in range(next_dose, final_dose + 1):
        if visits_left is not None and len(doses) >= visits_left:
            assert authorization is not None  # visits are counted only under an authorization
            notes.append(
                f"The authorization's {authorization.approved_visits} visits are used up after "
                f"{'dose ' + str(dose_number - 1) if doses else 'the doses already booked'}; renew it to book more."
            )
            break
        window = _window(protocol, previous, anchor, today, first_day)
        if window is None:
            if previous is not None:
                notes.append(f"{protocol.name} has no further dose after dose {previous}.")
            break
        due, earliest, latest = window
        earliest, latest, stop = _clamp(order, authorization, earliest, latest, due, dose_number)
        if stop:
            notes.append(stop)
            break
        if horizon is None or earliest > horizon:
            # Nobody is on the rota yet that far ahead: a proposal must be bookable whole, so it ends here.
            left_for_later = (dose_number, order.last_dose_number)
            until = f"until {horizon:%Y-%m-%d}" if horizon else "for no day yet"
            rest = (
                f"doses {dose_number}–{order.last_dose_number}" if order.last_dose_number else f"dose {dose_number} on"
            )
            notes.append(f"Nurse shifts are planned {until}: {rest} are left to book later.")
            break
        latest = min(latest, horizon)
        dose = ProposedDose(dose_number, due, earliest, latest)
        if due < today:
            dose.note = f"Overdue since {due:%Y-%m-%d}: as soon as possible."
        pin_input = _planner_input(center, earliest, latest, replaced_ids, proposed_slots)
        if dose_number in pins:
            _place_pinned(dose, pins[dose_number], pin_input, protocol, center, patient)
        else:
            _place_best(dose, pin_input, protocol, time_of_day, now, center, patient)
            if anchor is None and dose.start is not None:
                dose.note = "First free slot from the chosen day."
        if dose.start is not None:
            proposed_slots.append(planner.BookedSlot(-dose_number, dose.chair_id, dose.start, dose.end))  # type: ignore[arg-type]
            anchor = _local(dose.start, tz)
        else:
            anchor = due
        previous = dose_number
        dose.plan = dose_plan(protocol=protocol, dose_number=dose_number, patient=patient, on=due)
        doses.append(dose)
    _attach_readiness(order, doses)
    return SeriesProposal(order, doses, replaces, notes, reflow, left_for_later=left_for_later)


def bookable_horizon(center) -> dt.date | None:
    """The last local day anyone is on the rota: beyond it the planner cannot place a dose (no nurse),
    so series proposals stop there and say what is left to book later."""
    last = NurseShift.objects.filter(center=center).order_by("-start").values_list("start", flat=True).first()
    return _local(last, center.tzinfo) if last else None


def _window(protocol, previous, anchor, today, first_day) -> tuple[dt.date, dt.date, dt.date] | None:
    if anchor is None:
        start = max(first_day or today + dt.timedelta(days=1), today)
        return start, start, start + dt.timedelta(days=FIRST_DOSE_SEARCH_DAYS)
    gap = gap_after(protocol, previous)
    if gap is None:
        return None
    due = anchor + dt.timedelta(days=gap.days)
    earliest, latest = due - dt.timedelta(days=gap.window), due + dt.timedelta(days=gap.window)
    # Never closer than the label allows (dose_rules: the same minimum booking enforces).
    floor = min_days_before(protocol, previous + 1)
    if floor:
        earliest = max(earliest, anchor + dt.timedelta(days=floor))
    if latest < today:
        latest = today + dt.timedelta(days=max(gap.window, OVERDUE_SEARCH_DAYS))
    return due, max(earliest, today), latest


def _clamp(order, authorization, earliest, latest, due, dose_number) -> tuple[dt.date, dt.date, str]:
    bounds = [("order", order.start_date, order.valid_until)]
    if authorization:
        bounds.append(("authorization", authorization.approved_from, authorization.approved_until))
    for what, begins, ends in bounds:
        if begins:
            earliest = max(earliest, begins)
        if ends:
            latest = min(latest, ends)
        if earliest > latest:
            if ends and due > ends:
                return (
                    earliest,
                    latest,
                    (f"Dose {dose_number} would be due on {due:%Y-%m-%d}, after the {what} ends on {ends:%Y-%m-%d}."),
                )
            return earliest, latest, f"Dose {dose_number} does not fit the {what}'s date range."
    return earliest, latest, ""


def _planner_input(center, earliest, latest, replaced_ids, proposed_slots) -> planner.PlannerInput:
    pin = planner_input_for(center=center, date_from=earliest, date_to=latest)
    if replaced_ids:
        booked = tuple(b for b in pin.booked if b.id not in replaced_ids)
        pin = dataclasses.replace(pin, booked=booked)  # keeps the template and every other input
    for slot in proposed_slots:
        pin = pin.with_booking(slot)
    return pin


def _days_by_closeness(dose: ProposedDose) -> list[dt.date]:
    days = []
    day = dose.earliest
    while day <= dose.latest:
        days.append(day)
        day += dt.timedelta(days=1)
    return sorted(days, key=lambda d: (abs((d - dose.due).days), d))


def _place_best(dose: ProposedDose, pin, protocol, time_of_day: str, now: dt.datetime, center, patient) -> None:
    reasons: Counter[str] = Counter()
    for day in _days_by_closeness(dose):
        result = find_candidates(
            center=center,
            protocol=protocol,
            dose_number=dose.dose_number,
            date_from=day,
            date_to=day,
            time_of_day=time_of_day,
            limit=1,
            now=now,
            planner_input=pin,
            dose_patient=patient,
        )
        if result.candidates:
            best = result.candidates[0]
            dose.chair_id, dose.chair_label, dose.start, dose.end = (
                best.chair_id,
                best.chair_label,
                best.start,
                best.end,
            )
            if day != dose.due and not dose.note:
                shift = (day - dose.due).days
                dose.note = f"{abs(shift)} day{'s' if abs(shift) != 1 else ''} {'after' if shift > 0 else 'before'} due"
            return
        for report in result.days:
            reasons.update(refusal.message for refusal in report.reasons)
    why = " ".join(message for message, _ in reasons.most_common(2))
    dose.problems.append(
        f"No free slot between {dose.earliest:%Y-%m-%d} and {dose.latest:%Y-%m-%d}"
        + (f" ({why})" if why else "")
        + "; choose a time yourself."
    )


def _place_pinned(dose: ProposedDose, pinned: tuple[int, dt.datetime], pin, protocol, center, patient) -> None:
    chair_id, start = pinned
    dose.is_pinned = True
    dose.chair_id, dose.start = chair_id, start
    dose.end = protocol.end_of(start, dose.dose_number, patient)
    dose.chair_label = next((c.label for c in pin.chairs if c.id == chair_id), "")
    day = _local(start, center.tzinfo)
    if not dose.earliest <= day <= dose.latest:
        dose.note = f"Outside the window {dose.earliest:%Y-%m-%d} – {dose.latest:%Y-%m-%d}."
        pin = planner_input_for(center=center, date_from=day, date_to=day)
    refusals = check_dose_placement(
        pin, protocol=protocol, dose_number=dose.dose_number, chair_id=chair_id, start=start, patient=patient
    )
    dose.problems = [r.message for r in refusals]


def _attach_readiness(order: Order, doses: list[ProposedDose]) -> None:
    placed = [d for d in doses if d.start is not None]
    center = order.patient.center
    drafts = [
        Appointment(  # type: ignore[misc]  # placed doses have a chair and times
            center=center,
            patient=order.patient,
            protocol=order.protocol,
            chair_id=d.chair_id,
            start=d.start,
            end=d.end,
            dose_number=d.dose_number,
        )
        for d in placed
    ]
    for dose, readiness in zip(placed, assess(drafts), strict=True):
        dose.readiness = readiness


class SeriesRefused(BookingRefused):
    """One dose of the series could not be booked, so none was."""

    def __init__(self, dose_number: int, reasons: list[Reason]) -> None:
        self.dose_number = dose_number
        super().__init__([Reason(r.code, f"Dose {dose_number}: {r.message}") for r in reasons])


@transaction.atomic
def book_series(
    *,
    actor: Actor,
    order: Order,
    doses: list[tuple[int, int, dt.datetime]],
    replaces: Sequence[int] = (),
    override_reason: str = "",
) -> list[Appointment]:
    """Book every (dose number, chair id, start) of the series in one transaction: all or nothing.

    ``replaces`` are future booked doses a re-flow cancels first (by the center). The doses of a course
    (``regimens.courses``) keep the course's length first, so each day's amount and chair time is the
    course's (IVIG 2 g/kg over the days booked).
    """
    from regimens.courses import record_course
    from regimens.dosing import forget_patient_facts
    from scheduling.locking import center_day_key, lock_center_days
    from scheduling.services import book_appointment, transition

    patient, protocol = order.patient, order.protocol
    if not doses:
        raise BookingRefused([Reason("empty_series", "There is no dose to book.")])
    # Every day of the series is locked up front, in sorted order, so two series never deadlock.
    lock_center_days(center_day_key(patient.center, start) for _, _, start in doses if timezone.is_aware(start))
    to_cancel = Appointment.objects.filter(
        pk__in=list(replaces), patient=patient, protocol=protocol, status__in=REPLACEABLE_STATUSES
    )
    for appointment in to_cancel:
        transition(
            actor=actor, appointment=appointment, action="cancel", cancelled_by=CancelledBy.CENTER, reason=REFLOW_REASON
        )
    if record_course(actor=actor, order=order, dose_numbers=[n for n, _, _ in doses]) is not None:
        forget_patient_facts(patient, protocol)
    chairs = {c.pk: c for c in Chair.objects.filter(center=patient.center_id, pk__in=[c for _, c, _ in doses])}
    booked = []
    for dose_number, chair_id, start in doses:
        chair = chairs.get(chair_id)
        if chair is None:
            raise SeriesRefused(dose_number, [Reason("chair_inactive_or_unknown", "Choose a chair of this center.")])
        try:
            appointment = book_appointment(
                actor=actor,
                patient=patient,
                protocol=protocol,
                chair=chair,
                start=start,
                dose_number=dose_number,
                readiness_override_reason=override_reason,
            )
        except BookingRefused as error:
            raise SeriesRefused(dose_number, error.reasons) from error
        booked.append(appointment)
    return booked
