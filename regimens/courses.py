"""Courses of consecutive daily doses, proposed and booked as one unit.

IVIG loading (2 g/kg over 2–5 consecutive days) and pulse methylprednisolone (1 g daily ×3–5 days)
are one treatment given over consecutive days: the series proposal places the whole course or
nothing. A closed day (weekend, holiday) inside the course is skipped only when the regimen allows
it (``course_may_skip_closed_days``); otherwise the proposal moves the start to the first day from
which the whole course fits on open days, each with a free slot. The proposal is an ordinary
``treatment.series.SeriesProposal``, booked all or nothing by ``treatment.series.book_series``.

A dose amount that is a total over the course (IVIG 2 g/kg) is divided over the days chosen: a 2-day
course gives 1 g/kg a day, a 5-day course 0.4 g/kg, and each day's chair time follows from that day's
amount through the rate ladder (``regimens.dosing.planning_course`` while proposing; the booked length
is kept as a ``regimens.Course`` by :func:`record_course`, so every later read agrees).
"""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext

from regimens.dosing import dose_plan, planning_course, regimen_rows
from scheduling import planner
from scheduling.planner_input import planner_input_for
from scheduling.slot_search import find_candidates

COURSE_SEARCH_DAYS = 28


def course_length(*, regimen, order, next_dose: int, days: int | None) -> int:
    """Doses in the course still to give: the nurse's choice within the regimen's range, else the longest."""
    wanted = days or regimen.course_days_max
    wanted = max(regimen.course_days_min, min(regimen.course_days_max, wanted))
    if regimen.course_doses:
        wanted = min(wanted, regimen.course_doses - next_dose + 1)
    if order.last_dose_number:
        wanted = min(wanted, order.last_dose_number - next_dose + 1)
    return max(wanted, 1)


def course_days(
    start: dt.date, count: int, rules: planner.CenterRules, *, may_skip_closed: bool
) -> list[dt.date] | None:
    """The ``count`` open days of a course starting on ``start`` (None when it cannot start there)."""
    days: list[dt.date] = []
    day = start
    while len(days) < count:
        closed = day.weekday() not in rules.opening_hours or day in rules.closures
        if closed:
            if not days or not may_skip_closed:
                return None
            if (day - start).days > count + 7:
                return None
        else:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def propose_course(
    *, order, next_dose: int, first_day: dt.date | None, time_of_day: str, now: dt.datetime, days: int | None = None
):
    """The course as a series proposal, or None when the next dose is not part of a course."""
    from treatment.series import ProposedDose, SeriesProposal, bookable_horizon

    protocol, patient = order.protocol, order.patient
    regimen = regimen_rows(protocol).regimen
    if regimen is None or not regimen.has_course:
        return None
    if regimen.course_doses and next_dose > regimen.course_doses:
        return None
    center = patient.center
    tz = center.tzinfo
    today = now.astimezone(tz).date()
    start = max(first_day or today + dt.timedelta(days=1), today)
    if order.start_date:
        start = max(start, order.start_date)
    if is_course_begun(regimen=regimen, next_dose=next_dose):
        # The rest of a course already begun keeps the course's length (and each day's amount): only its
        # remaining days are proposed, not a new course.
        count = remaining_course_days(regimen=regimen, order=order, next_dose=next_dose)
        if count < 1:
            return None
        planned = None
    else:
        count = course_length(regimen=regimen, order=order, next_dose=next_dose, days=days)
        planned = (next_dose, count)
    horizon = bookable_horizon(center)
    last_search = start + dt.timedelta(days=COURSE_SEARCH_DAYS + count * 2)
    if order.valid_until:
        last_search = min(last_search, order.valid_until)
    pin = planner_input_for(center=center, date_from=start, date_to=last_search)
    numbers = list(range(next_dose, next_dose + count))
    label = f"{count}-day course"
    for offset in range(COURSE_SEARCH_DAYS):
        day0 = start + dt.timedelta(days=offset)
        plan_days = course_days(day0, count, pin.rules, may_skip_closed=regimen.course_may_skip_closed_days)
        if plan_days is None or plan_days[-1] > last_search or (horizon and plan_days[-1] > horizon):
            continue
        with _planning(patient, protocol, planned):
            doses = _place_all(order, numbers, plan_days, pin, time_of_day, now)
        if doses is not None:
            notes = [f"{protocol.name}: a {label} from {plan_days[0]:%Y-%m-%d}, booked as one unit."]
            if day0 != start:
                notes.append(f"Starts {(day0 - start).days} day(s) after the chosen day so the whole course fits.")
            if len(plan_days) > 1 and (plan_days[-1] - plan_days[0]).days + 1 > count:
                notes.append("The course jumps the closed day(s) in between, as its regimen allows.")
            with _planning(patient, protocol, planned):
                for dose in doses:
                    dose.plan = dose_plan(protocol=protocol, dose_number=dose.dose_number, patient=patient, on=dose.due)
            if doses[0].plan and doses[0].plan.course_days and doses[0].plan.amount_label:
                notes.append(f"Each day: {doses[0].plan.amount_label}.")
            from treatment.series import _attach_readiness

            _attach_readiness(order, doses)
            return SeriesProposal(order, doses, [], notes, False, is_course=True)
    problem = ProposedDose(next_dose, start, start, last_search)
    skip = "" if regimen.course_may_skip_closed_days else " on consecutive open days"
    problem.problems.append(
        f"No start day between {start:%Y-%m-%d} and {last_search:%Y-%m-%d} fits the whole {label}{skip}; "
        "choose another start day or course length."
    )
    return SeriesProposal(order, [problem], [], [], False, is_course=True)


def _planning(patient, protocol, planned: tuple[int, int] | None):
    if planned is None:
        return nullcontext()
    first, days = planned
    return planning_course(patient=patient, protocol=protocol, first_dose=first, days=days)


def dose_after_course(*, patient, protocol, last_dose: int) -> int | None:
    """The dose that follows ``last_dose`` when a booked course shorter than the regimen's ends there.

    The label's course is doses 1 to ``course_doses`` (IVIG loading: 5); a 2-day course gives its total
    in doses 1–2, so what follows dose 2 is the first dose after the course (6, the maintenance dose),
    not a third loading day. None when ``last_dose`` does not end such a course.
    """
    regimen = regimen_rows(protocol).regimen
    if regimen is None or not regimen.course_doses or last_dose >= regimen.course_doses:
        return None
    from regimens.models import Course

    course = (
        Course.objects.filter(patient=patient, protocol=protocol, first_dose__lte=last_dose)
        .order_by("-first_dose")
        .first()
    )
    if course is None or course.last_dose != last_dose:
        return None
    return regimen.course_doses + 1


def is_course_begun(*, regimen, next_dose: int) -> bool:
    """Whether ``next_dose`` continues a course of the first doses (IVIG loading) rather than starting one."""
    return bool(regimen.course_doses) and next_dose > 1


def remaining_course_days(*, regimen, order, next_dose: int) -> int:
    """Days left of the course ``next_dose`` continues: to the end of the booked course, else of the
    regimen's default length (the amount row's days)."""
    from regimens.models import Course

    courses = list(Course.objects.filter(patient=order.patient, protocol=order.protocol, first_dose__lte=next_dose))
    if courses:
        last = max(c.last_dose for c in courses)
    else:
        amount = next((a for a in regimen_rows(order.protocol).amounts if a.covers(next_dose)), None)
        last = amount.divided_over_days if amount is not None and amount.is_course_total else regimen.course_doses
    last = min(last, regimen.course_doses)
    if order.last_dose_number:
        last = min(last, order.last_dose_number)
    return last - next_dose + 1


def _place_all(order, numbers, plan_days, pin, time_of_day, now):
    from treatment.series import ProposedDose

    doses: list[ProposedDose] = []
    for dose_number, day in zip(numbers, plan_days, strict=True):
        result = find_candidates(
            center=order.patient.center,
            protocol=order.protocol,
            dose_number=dose_number,
            date_from=day,
            date_to=day,
            time_of_day=time_of_day,
            limit=1,
            now=now,
            planner_input=pin,
            dose_patient=order.patient,
        )
        if not result.candidates:
            return None
        best = result.candidates[0]
        dose = ProposedDose(dose_number, day, day, day, best.chair_id, best.chair_label, best.start, best.end)
        dose.note = f"Course day {len(doses) + 1}"
        doses.append(dose)
        pin = pin.with_booking(planner.BookedSlot(-dose_number, best.chair_id, best.start, best.end))
    return doses


def course_doses_of(*, order, dose_numbers: list[int]) -> list[int]:
    """Which of the doses being booked belong to a course of the order's regimen (none: no course)."""
    regimen = regimen_rows(order.protocol).regimen
    if regimen is None or not regimen.has_course:
        return []
    return sorted(n for n in dose_numbers if not regimen.course_doses or n <= regimen.course_doses)


def record_course(*, actor, order, dose_numbers: list[int]):
    """Keep the length of the course being booked (its doses among ``dose_numbers``), so that a total
    amount over the course is divided over the days actually booked; refuse a length the regimen does
    not allow. Returns the ``regimens.Course`` (None when no course is booked)."""
    from regimens.models import Course
    from scheduling.errors import BookingRefused, Reason

    numbers = course_doses_of(order=order, dose_numbers=dose_numbers)
    if not numbers:
        return None
    regimen = regimen_rows(order.protocol).regimen
    assert regimen is not None  # course_doses_of found a course
    first, days = numbers[0], len(numbers)
    if is_course_begun(regimen=regimen, next_dose=first):
        return None  # the rest of a course already begun keeps that course's length
    if numbers != list(range(first, first + days)):
        raise BookingRefused([Reason("course_not_whole", "A course is booked whole: its doses follow one another.")])
    shortest, most = regimen.course_days_min or 1, regimen.course_days_max or days
    longest = course_length(regimen=regimen, order=order, next_dose=first, days=most)
    if days > most or (days < shortest and days < longest):
        raise BookingRefused(
            [
                Reason(
                    "course_length",
                    f"A course of {order.protocol.name} lasts {regimen.course_days_min}–{regimen.course_days_max} "
                    f"days: {days} day(s) chosen.",
                )
            ]
        )
    course = Course.objects.filter(patient=order.patient, protocol=order.protocol, first_dose=first).first()
    course = course or Course(patient=order.patient, protocol=order.protocol, first_dose=first)
    course.days = days
    course.recorded_by = actor
    course._history_user = actor  # type: ignore[attr-defined]
    course.full_clean()
    course.save()
    return course
