"""Series booking: the protocol's intervals and loading phases, all-or-nothing booking, re-flow."""

from __future__ import annotations

import datetime as dt

import pytest

from chairs.models import ChairBlock
from scheduling.models import Appointment, AppointmentStatus
from tests.factories import AppointmentFactory
from tests.treatment.conftest import at, make_order, monday_in
from treatment.models import PrerequisiteDocument
from treatment.series import SeriesRefused, book_series, gap_after, propose_series


def local_days(proposal):
    return [d.start.astimezone(d.start.tzinfo).date() if d.start else None for d in proposal.doses]


def gaps(days):
    return [(b - a).days for a, b in zip(days, days[1:], strict=False)]


def test_eculizumab_gaps_weekly_four_times_then_every_two_weeks(library):
    assert [gap_after(library["ecu"], n).days for n in range(1, 8)] == [7, 7, 7, 7, 14, 14, 14]


def test_ocrelizumab_half_doses_two_weeks_apart_then_24_weeks(library):
    assert [gap_after(library["ocr"], n).days for n in (1, 2, 3)] == [14, 154, 168]
    assert gap_after(library["mp"], 1).days == 1
    assert gap_after(library["dhe"], 1) is None


def test_eculizumab_series_follows_the_loading_phase(staffed, library, patient):
    order = make_order(patient, library["ecu"], start=dt.date.today(), doses=7)
    proposal = propose_series(order=order, first_day=monday_in(3))
    days = local_days(proposal)
    assert [d.dose_number for d in proposal.doses] == [1, 2, 3, 4, 5, 6, 7]
    assert days[0] == monday_in(3)
    assert gaps(days) == [7, 7, 7, 7, 14, 14]
    assert proposal.is_bookable


def test_ocrelizumab_series_day_15_then_week_24(staffed, library, patient):
    order = make_order(patient, library["ocr"], start=dt.date.today(), doses=3)
    days = local_days(propose_series(order=order, first_day=monday_in(2)))
    assert gaps(days) == [14, 154]


def test_first_doses_take_the_longer_chair_time(staffed, library, patient):
    order = make_order(patient, library["ocr"], start=dt.date.today(), doses=3)
    doses = propose_series(order=order, first_day=monday_in(2)).doses
    minutes = [int((d.end - d.start).total_seconds() // 60) for d in doses]
    ocr = library["ocr"]
    assert minutes == [ocr.chair_minutes(1), ocr.chair_minutes(2), ocr.chair_minutes(3)]
    assert minutes[0] < minutes[2]


def test_a_full_due_day_moves_the_dose_within_the_window(staffed, library, patient):
    order = make_order(patient, library["lec"], start=dt.date.today(), doses=2)
    first = monday_in(3)
    due = first + dt.timedelta(days=14)
    for chair in staffed.test_chairs:
        ChairBlock.objects.create(chair=chair, start=at(due, 0), end=at(due, 23, 59), reason="Floor cleaning")
    proposal = propose_series(order=order, first_day=first)
    second = local_days(proposal)[1]
    assert second != due and abs((second - due).days) == 1
    assert "day" in proposal.doses[1].note


def test_series_stops_where_the_authorization_ends(staffed, library, patient):
    start = monday_in(2)
    order = make_order(patient, library["lec"], start=dt.date.today(), auth_until=start + dt.timedelta(days=30))
    proposal = propose_series(order=order, first_day=start)
    assert [d.dose_number for d in proposal.doses] == [1, 2, 3]
    assert any("after the authorization ends" in note for note in proposal.notes)


def test_series_stops_at_the_authorizations_visits(staffed, library, patient):
    order = make_order(patient, library["nat"], start=dt.date.today(), visits=3)
    proposal = propose_series(order=order, first_day=monday_in(2))
    assert len(proposal.doses) == 3
    assert any("visits are used up" in note for note in proposal.notes)


def test_donanemab_never_closer_than_21_days(staffed, library, patient):
    order = make_order(patient, library["don"], start=dt.date.today(), doses=3)
    first = monday_in(2)
    due = first + dt.timedelta(days=28)
    for offset in range(0, 8):  # the due day and the week after are full
        for chair in staffed.test_chairs:
            day = due + dt.timedelta(days=offset)
            ChairBlock.objects.create(chair=chair, start=at(day, 0), end=at(day, 23, 59))
    days = local_days(propose_series(order=order, first_day=first))
    assert 21 <= (days[1] - days[0]).days < 28


def test_lecanemab_series_shows_the_mri_before_dose_3(staffed, library, patient):
    order = make_order(patient, library["lec"], start=dt.date.today(), doses=4)
    for kind in ("amyloid", "apoe4", "mri"):
        PrerequisiteDocument.objects.create(patient=patient, kind=kind, performed_on=dt.date.today())
    doses = propose_series(order=order, first_day=monday_in(2)).doses
    assert doses[0].readiness.ready and doses[1].readiness.ready
    assert [i.code for i in doses[2].readiness.missing] == ["mri_missing"]
    assert doses[2].readiness.missing[0].can_complete_before_date


def test_booking_the_series_books_every_dose(staffed, library, patient, front_desk):
    order = make_order(patient, library["ecu"], start=dt.date.today(), doses=5)
    PrerequisiteDocument.objects.create(patient=patient, kind="rems_enrollment", performed_on=dt.date.today())
    PrerequisiteDocument.objects.create(patient=patient, kind="meningococcal_vaccine", performed_on=dt.date.today())
    proposal = propose_series(order=order, first_day=monday_in(3))
    booked = book_series(
        actor=front_desk, order=order, doses=[(d.dose_number, d.chair_id, d.start) for d in proposal.doses]
    )
    assert [a.dose_number for a in booked] == [1, 2, 3, 4, 5]
    assert Appointment.objects.filter(patient=patient, status=AppointmentStatus.BOOKED).count() == 5
    assert [d.dose_number for d in propose_series(order=order).doses] == []


def test_series_is_all_or_nothing_under_a_conflict(staffed, library, patient, front_desk):
    order = make_order(patient, library["lec"], start=dt.date.today(), doses=4)
    proposal = propose_series(order=order, first_day=monday_in(2))
    third = proposal.doses[2]
    AppointmentFactory(
        center=staffed, chair_id=third.chair_id, protocol=library["ept"], start=third.start, dose_number=2
    )  # someone else takes dose 3's chair meanwhile
    with pytest.raises(SeriesRefused) as refused:
        book_series(actor=front_desk, order=order, doses=[(d.dose_number, d.chair_id, d.start) for d in proposal.doses])
    assert refused.value.dose_number == 3
    assert "Dose 3" in refused.value.message
    assert not Appointment.objects.filter(patient=patient).exists()


def test_pinned_dose_replans_the_following_doses(staffed, library, patient):
    order = make_order(patient, library["lec"], start=dt.date.today(), doses=3)
    first = monday_in(2)
    proposal = propose_series(order=order, first_day=first)
    moved = at(first + dt.timedelta(days=16), 10)  # dose 2 on the Wednesday instead of the Monday
    replanned = propose_series(order=order, first_day=first, pins={2: (proposal.doses[1].chair_id, moved)})
    assert replanned.doses[1].start == moved and replanned.doses[1].is_pinned
    assert local_days(replanned)[2] == moved.date() + dt.timedelta(days=14)


def _give(appointment, status=AppointmentStatus.FULFILLED):
    appointment.status = status
    appointment.save()


def test_reflow_after_a_delayed_dose_plans_from_the_actual_date(staffed, library, patient, front_desk):
    order = make_order(patient, library["lec"], start=dt.date.today() - dt.timedelta(days=60), doses=4)
    start = monday_in(-3)  # dose 1 three weeks ago
    chair = staffed.test_chairs[0]
    dose1 = AppointmentFactory(
        center=staffed, patient=patient, chair=chair, protocol=library["lec"], dose_number=1, start=at(start, 9)
    )
    delayed = AppointmentFactory(
        center=staffed,
        patient=patient,
        chair=chair,
        protocol=library["lec"],
        dose_number=2,
        start=at(start + dt.timedelta(days=18), 9),
    )  # given 4 days late
    _give(dose1)
    _give(delayed)
    old3 = AppointmentFactory(
        center=staffed,
        patient=patient,
        chair=chair,
        protocol=library["lec"],
        dose_number=3,
        start=at(start + dt.timedelta(days=28), 9),
    )
    if old3.start.date() <= dt.date.today():
        pytest.skip("the calendar puts the old dose 3 in the past")
    proposal = propose_series(order=order, reflow=True)
    assert [a.pk for a in proposal.replaces] == [old3.pk]
    assert proposal.doses[0].dose_number == 3
    assert proposal.doses[0].due == start + dt.timedelta(days=18 + 14)
    book_series(
        actor=front_desk,
        order=order,
        doses=[(d.dose_number, d.chair_id, d.start) for d in proposal.doses],
        replaces=[old3.pk],
    )
    old3.refresh_from_db()
    assert old3.status == AppointmentStatus.CANCELLED and old3.cancelled_by == "center"
    assert Appointment.objects.filter(patient=patient, status=AppointmentStatus.BOOKED).count() == 2


def test_reflow_after_a_missed_dose_rebooks_it_and_shifts_the_rest(staffed, library, patient, front_desk):
    order = make_order(patient, library["lec"], start=dt.date.today() - dt.timedelta(days=60), doses=4)
    chair = staffed.test_chairs[0]
    given = AppointmentFactory(
        center=staffed, patient=patient, chair=chair, protocol=library["lec"], dose_number=1, start=at(monday_in(-2), 9)
    )
    _give(given)
    missed = AppointmentFactory(
        center=staffed, patient=patient, chair=chair, protocol=library["lec"], dose_number=2, start=at(monday_in(0), 9)
    )
    _give(missed, AppointmentStatus.NOSHOW)
    later = [
        AppointmentFactory(
            center=staffed,
            patient=patient,
            chair=chair,
            protocol=library["lec"],
            dose_number=n,
            start=at(monday_in(0) + dt.timedelta(days=14 * (n - 2)), 9),
        )
        for n in (3, 4)
    ]
    proposal = propose_series(order=order, reflow=True)
    assert [d.dose_number for d in proposal.doses] == [2, 3, 4]
    assert sorted(a.pk for a in proposal.replaces) == sorted(a.pk for a in later)
    days = local_days(proposal)
    assert days[0] > dt.date.today() - dt.timedelta(days=1)
    assert gaps(days) == [14, 14]
    book_series(
        actor=front_desk,
        order=order,
        doses=[(d.dose_number, d.chair_id, d.start) for d in proposal.doses],
        replaces=[a.pk for a in proposal.replaces],
    )
    booked = Appointment.objects.filter(patient=patient, status=AppointmentStatus.BOOKED).order_by("start")
    assert [a.dose_number for a in booked] == [2, 3, 4]


def test_a_dose_without_any_free_slot_says_why_and_blocks_booking(staffed, library, patient):
    order = make_order(patient, library["lec"], start=dt.date.today(), doses=2)
    first = monday_in(3)
    due = first + dt.timedelta(days=14)
    for offset in range(-3, 4):
        day = due + dt.timedelta(days=offset)
        for chair in staffed.test_chairs:
            ChairBlock.objects.create(chair=chair, start=at(day, 0), end=at(day, 23, 59))
    proposal = propose_series(order=order, first_day=first)
    assert proposal.doses[1].start is None
    assert "No free slot between" in proposal.doses[1].problems[0]
    assert not proposal.is_bookable


def test_center_admin_books_a_series_past_the_authorization_with_a_reason(staffed, library, patient, center_admin):
    start = monday_in(2)
    order = make_order(
        patient, library["lec"], start=dt.date.today(), doses=3, auth_until=start + dt.timedelta(days=20)
    )
    proposal = propose_series(order=order, first_day=start)
    assert [d.dose_number for d in proposal.doses] == [1, 2]
    doses = [(d.dose_number, d.chair_id, d.start) for d in proposal.doses]
    doses.append((3, proposal.doses[0].chair_id, proposal.doses[1].start + dt.timedelta(days=14)))
    with pytest.raises(SeriesRefused, match="Dose 3"):
        book_series(actor=center_admin, order=order, doses=doses)
    booked = book_series(actor=center_admin, order=order, doses=doses, override_reason="Renewal approved by phone")
    assert booked[2].readiness_override_reason == "Renewal approved by phone"
    assert booked[0].readiness_override_reason == ""
