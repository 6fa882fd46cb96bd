"""Series proposals end where they can be booked; courses of consecutive days are proposed whole."""

from __future__ import annotations

import datetime as dt

import pytest

from chairs.models import Closure, NurseShift
from regimens.models import Regimen
from tests.factories import expire_cached_protocols
from tests.treatment.conftest import at, make_order, monday_in
from treatment.series import book_series, propose_series

pytestmark = pytest.mark.django_db


def test_open_ended_ocrelizumab_order_proposes_a_bookable_horizon(staffed, library, patient):
    # The case: an open-ended order authorized to 2031 proposed 12 doses of which only the
    # first few could be placed (nurse shifts end), so the proposal could never be booked.
    order = make_order(patient, library["ocr"], start=dt.date.today(), until=dt.date(2031, 12, 1))
    last_shift = NurseShift.objects.filter(center=staffed).latest("start").start.astimezone(staffed.tzinfo).date()
    proposal = propose_series(order=order, first_day=monday_in(2))
    assert proposal.is_bookable
    assert 2 <= len(proposal.doses) < 12
    assert all(d.start.astimezone(staffed.tzinfo).date() <= last_shift for d in proposal.doses)
    next_dose = proposal.doses[-1].dose_number + 1
    assert proposal.left_for_later == (next_dose, None)
    assert f"dose {next_dose} on are left to book later" in " ".join(proposal.notes)


def test_series_shows_each_doses_amount(staffed, library, patient):
    order = make_order(patient, library["ocr"], start=dt.date.today(), doses=3)
    proposal = propose_series(order=order, first_day=monday_in(2))
    assert [d.plan.amount_label for d in proposal.doses] == ["300 mg", "300 mg", "600 mg"]


def test_methylprednisolone_course_is_consecutive_open_days(staffed, library, patient, front_desk):
    order = make_order(patient, library["mp"], start=dt.date.today(), doses=5)
    friday = monday_in(3) + dt.timedelta(days=4)
    proposal = propose_series(order=order, first_day=friday, course_days=3)
    days = [d.start.astimezone(staffed.tzinfo).date() for d in proposal.doses]
    # Friday would run into the weekend: the course starts the next Monday instead.
    assert days == [monday_in(4), monday_in(4) + dt.timedelta(days=1), monday_in(4) + dt.timedelta(days=2)]
    assert proposal.is_course and proposal.is_bookable
    assert "whole course fits" in " ".join(proposal.notes)
    booked = book_series(
        actor=front_desk, order=order, doses=[(d.dose_number, d.chair_id, d.start) for d in proposal.doses]
    )
    assert [a.dose_number for a in booked] == [1, 2, 3]


def test_a_course_may_jump_closed_days_when_its_regimen_allows(staffed, library, patient):
    Regimen.objects.filter(protocol=library["mp"]).update(course_may_skip_closed_days=True)
    expire_cached_protocols()  # a queryset update sends no signal
    order = make_order(patient, library["mp"], start=dt.date.today(), doses=5)
    friday = monday_in(3) + dt.timedelta(days=4)
    days = [
        d.start.astimezone(staffed.tzinfo).date()
        for d in propose_series(order=order, first_day=friday, course_days=3).doses
    ]
    assert days == [friday, monday_in(4), monday_in(4) + dt.timedelta(days=1)]


def test_a_closure_inside_the_course_moves_its_start(staffed, library, patient):
    from chairs.models import Chair

    Chair.objects.filter(center=staffed).update(kind="bed")  # IVIG goes to a bed with a pump
    order = make_order(patient, library["ivig"], start=dt.date.today())
    monday = monday_in(3)
    Closure.objects.create(center=staffed, date=monday + dt.timedelta(days=2), reason="Holiday")
    proposal = propose_series(order=order, first_day=monday, course_days=2)
    days = [d.start.astimezone(staffed.tzinfo).date() for d in proposal.doses]
    assert days == [monday, monday + dt.timedelta(days=1)]
    longer = propose_series(order=order, first_day=monday, course_days=5)
    days = [d.start.astimezone(staffed.tzinfo).date() for d in longer.doses]
    # Monday–Friday would cross the Wednesday closure; the first five consecutive open days start Thursday…
    # …but Saturday is closed, so the next whole week.
    assert days == [monday + dt.timedelta(days=7 + n) for n in range(5)]


def test_a_course_that_fits_nowhere_says_so_and_is_not_bookable(staffed, library, patient):
    order = make_order(patient, library["mp"], start=dt.date.today(), doses=5)
    proposal = propose_series(order=order, first_day=monday_in(3), course_days=6)
    # Asked for 6 days: the regimen's longest course is 5, which fits one open week (Monday–Friday).
    assert len(proposal.doses) == 5 and proposal.is_bookable
    NurseShift.objects.filter(center=staffed, start__gte=at(monday_in(3), 0)).delete()
    nothing = propose_series(order=order, first_day=monday_in(3), course_days=5)
    assert not nothing.is_bookable
    assert "fits the whole 5-day course on consecutive open days" in nothing.doses[0].problems[0]


def _ivig_order(staffed, library, patient, kg="70"):
    from decimal import Decimal

    from regimens.models import PatientWeight
    from tests.factories import ChairFactory

    ChairFactory(center=staffed, label="B01", kind="bed", features=["pump"])
    PatientWeight.objects.create(patient=patient, kg=Decimal(kg), measured_on=dt.date.today())
    return make_order(patient, library["ivig"], start=dt.date.today(), doses=5)


def test_ivig_course_divides_the_total_over_the_days_chosen(staffed, library, patient):
    order = _ivig_order(staffed, library, patient)
    two = propose_series(order=order, first_day=monday_in(2), course_days=2)
    five = propose_series(order=order, first_day=monday_in(2), course_days=5)
    assert two.is_bookable and five.is_bookable
    assert [d.plan.amount_label for d in two.doses] == ["70 g (1 g/kg; 2 g/kg over 2 days)"] * 2
    assert [d.plan.amount_label for d in five.doses] == ["28 g (0.4 g/kg; 2 g/kg over 5 days)"] * 5
    # Each day's chair time follows from that day's amount through the rate ladder: 700 mL a day at 70 kg
    # takes much longer than 280 mL, and the planner books that length.
    long_day, short_day = two.doses[0], five.doses[0]
    assert long_day.plan.infusion_minutes > short_day.plan.infusion_minutes
    for dose in (long_day, short_day):
        assert (dose.end - dose.start) == dt.timedelta(minutes=dose.plan.chair_minutes)
    assert "Each day: 70 g (1 g/kg; 2 g/kg over 2 days)." in two.notes


def test_a_booked_ivig_course_keeps_its_days_amount_and_length(staffed, library, patient, front_desk):
    from regimens.dosing import dose_plan
    from regimens.models import Course

    order = _ivig_order(staffed, library, patient)
    proposal = propose_series(order=order, first_day=monday_in(2), course_days=3)
    booked = book_series(
        actor=front_desk, order=order, doses=[(d.dose_number, d.chair_id, d.start) for d in proposal.doses]
    )
    assert Course.objects.get(patient=patient, protocol=library["ivig"]).days == 3
    for appointment, proposed in zip(booked, proposal.doses, strict=True):
        assert appointment.end == proposed.end
        plan = dose_plan(protocol=library["ivig"], dose_number=appointment.dose_number, patient=patient)
        assert plan.amount_label == "46.7 g (0.7 g/kg; 2 g/kg over 3 days)"
        assert appointment.end - appointment.start == dt.timedelta(minutes=plan.chair_minutes)


def test_an_ivig_course_longer_than_the_regimen_allows_is_refused(staffed, library, patient, front_desk):
    from scheduling.errors import BookingRefused

    order = _ivig_order(staffed, library, patient)
    order.dose_count = 6
    order.save()
    proposal = propose_series(order=order, first_day=monday_in(2), course_days=5)
    doses = [(d.dose_number, d.chair_id, d.start) for d in proposal.doses]
    with pytest.raises(BookingRefused) as refused:
        book_series(actor=front_desk, order=order, doses=doses[:1])  # one day of a 2–5 day course
    assert refused.value.reasons[0].code == "course_length"


def test_the_rest_of_a_begun_ivig_course_keeps_its_length_and_amount(staffed, library, patient, front_desk):
    from regimens.models import Course

    order = _ivig_order(staffed, library, patient)
    proposal = propose_series(order=order, first_day=monday_in(2), course_days=5)
    doses = [(d.dose_number, d.chair_id, d.start) for d in proposal.doses]
    book_series(actor=front_desk, order=order, doses=doses[:4])  # days 1–4 of the 5-day course
    # Booked here, those four days are a 4-day course (see the maintenance test below); days 1–4 that came
    # without their course's length (imported, or booked one by one) are the begun default 5-day course.
    Course.objects.filter(patient=patient, protocol=library["ivig"]).delete()
    rest = propose_series(order=order, first_day=monday_in(3))
    # Only the last day is left, at the course's 0.4 g/kg — not the whole 2 g/kg on one day.
    assert [d.dose_number for d in rest.doses] == [5]
    assert rest.doses[0].plan.amount_label == "28 g (0.4 g/kg; 2 g/kg over 5 days)"
    assert book_series(actor=front_desk, order=order, doses=[(5, rest.doses[0].chair_id, rest.doses[0].start)])


def test_a_dose_after_a_shorter_booked_course_is_flagged(staffed, library, patient, front_desk):
    from regimens.dosing import dose_plan

    order = _ivig_order(staffed, library, patient)
    proposal = propose_series(order=order, first_day=monday_in(2), course_days=2)
    book_series(actor=front_desk, order=order, doses=[(d.dose_number, d.chair_id, d.start) for d in proposal.doses])
    plan = dose_plan(protocol=library["ivig"], dose_number=3, patient=patient)
    assert "comes after the 2-day course booked (doses 1–2)" in " ".join(plan.problems)


def test_after_a_shorter_ivig_course_the_series_proposes_the_maintenance_dose(staffed, library, patient, front_desk):
    """A 2-day course gives the loading total in doses 1–2: next is maintenance (dose 6, 1 g/kg, 3 weeks on),
    not a third loading day the next day."""
    order = _ivig_order(staffed, library, patient)
    order.dose_count = 8
    order.save()
    course = propose_series(order=order, first_day=monday_in(2), course_days=2)
    book_series(actor=front_desk, order=order, doses=[(d.dose_number, d.chair_id, d.start) for d in course.doses])
    later = propose_series(order=order)
    assert later.doses, later.notes
    first = later.doses[0]
    assert first.dose_number == 6
    assert "The loading course ended with dose 2: the next dose is dose 6." in later.notes
    assert first.plan.amount_label.startswith("70 g (1 g/kg")
    gap = (first.start.date() - course.doses[-1].start.date()).days
    assert gap >= 18  # 3 weeks, less the 3-day window
    assert book_series(actor=front_desk, order=order, doses=[(6, first.chair_id, first.start)])


def test_four_days_booked_of_a_five_day_proposal_are_a_four_day_course(staffed, library, patient, front_desk):
    """Not a fifth loading day on top: the four days gave the whole 2 g/kg (0.5 g/kg each)."""
    from regimens.dosing import dose_plan

    order = _ivig_order(staffed, library, patient)
    order.dose_count = 8
    order.save()
    proposal = propose_series(order=order, first_day=monday_in(2), course_days=5)
    booked = book_series(
        actor=front_desk, order=order, doses=[(d.dose_number, d.chair_id, d.start) for d in proposal.doses[:4]]
    )
    plan = dose_plan(protocol=library["ivig"], dose_number=1, patient=patient)
    assert plan.amount_label == "35 g (0.5 g/kg; 2 g/kg over 4 days)"
    for appointment in booked:  # the chair time of what is given, not of the longer proposal's days
        assert appointment.end - appointment.start == dt.timedelta(minutes=plan.chair_minutes)
    assert [d.dose_number for d in propose_series(order=order).doses][:1] == [6]
