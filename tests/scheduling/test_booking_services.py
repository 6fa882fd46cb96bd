"""Booking and moving through the services: every constraint re-checked with fresh data under the lock on the center's day."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from scheduling import planner, services
from scheduling.errors import BookingRefused
from scheduling.models import Appointment, AppointmentStatus
from scheduling.planner_input import planner_input_for, slot_request_for
from tests.factories import (
    NEW_YORK,
    AppointmentFactory,
    ChairBlockFactory,
    ChairFactory,
    NurseShiftFactory,
    PatientFactory,
    ProtocolFactory,
)

MONDAY = dt.date(2026, 12, 7)


def at(hour: int, minute: int = 0, day: dt.date = MONDAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


@pytest.fixture(autouse=True)
def the_week_before():
    """Booking refuses times that have passed: these tests run on the Tuesday before MONDAY, whatever today is."""
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=NEW_YORK), tick=True):
        yield


@pytest.fixture
def staffed(center, nurse):
    """Two nurses on shift all Monday: watch 8 patients, 4 starts per half hour."""
    NurseShiftFactory(center=center, nurse=nurse, start=at(7), end=at(19))
    NurseShiftFactory(center=center, start=at(7), end=at(19))
    return center


@pytest.fixture
def short_protocol(db):
    return ProtocolFactory(
        code="ept",
        name="Eptinezumab",
        drug="eptinezumab",
        first_dose_infusion_minutes=30,
        later_dose_infusion_minutes=30,
        initial_dose_count=1,
        premedication_minutes=0,
        observation_minutes=0,
        setup_minutes=10,
    )


def codes(error: BookingRefused) -> set[str]:
    return {r.code for r in error.reasons}


def test_booking_derives_the_end_and_records_who(staffed, chair, patient, protocol, nurse):
    appointment = services.book_appointment(
        actor=nurse, patient=patient, protocol=protocol, chair=chair, start=at(8), dose_number=1
    )
    assert appointment.end == at(8) + dt.timedelta(minutes=protocol.chair_minutes(1))
    assert appointment.booked_by == nurse
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.history.first().history_user == nurse


@pytest.mark.parametrize(
    ("start", "code"),
    [
        (at(6, 30), "outside_hours"),
        (at(17), "outside_hours"),  # 250 minutes would end after 19:00
        (at(9, 10), "off_grid"),
        (at(9, day=dt.date(2026, 12, 12)), "closed"),
    ],
)
def test_hours_and_grid_are_enforced(staffed, chair, patient, protocol, nurse, start, code):
    with pytest.raises(BookingRefused) as refused:
        services.book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=chair, start=start)
    assert code in codes(refused.value)
    assert not Appointment.objects.exists()


def test_chair_without_the_required_feature_is_refused(staffed, center, patient, nurse):
    ivig = ProtocolFactory(code="ivig", name="IVIG", drug="immune globulin", required_chair_kind="bed")
    chair = ChairFactory(center=center, kind="chair")
    with pytest.raises(BookingRefused) as refused:
        services.book_appointment(actor=nurse, patient=patient, protocol=ivig, chair=chair, start=at(8))
    assert codes(refused.value) == {"chair_lacks_features"}
    assert refused.value.http_status == 409


def test_blocked_and_taken_chairs(staffed, center, chair, patient, protocol, nurse):
    ChairBlockFactory(chair=chair, start=at(12), end=at(14))
    with pytest.raises(BookingRefused) as refused:
        services.book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=chair, start=at(10))
    assert codes(refused.value) == {"chair_blocked"}
    AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(7), end=at(9))
    with pytest.raises(BookingRefused) as refused:
        services.book_appointment(
            actor=nurse, patient=PatientFactory(center=center), protocol=protocol, chair=chair, start=at(8)
        )
    assert "chair_taken" in codes(refused.value)


def test_nurse_start_capacity_is_center_wide(staffed, center, protocol, nurse, short_protocol):
    chairs = [ChairFactory(center=center) for _ in range(5)]
    for chair in chairs[:4]:
        services.book_appointment(
            actor=nurse, patient=PatientFactory(center=center), protocol=short_protocol, chair=chair, start=at(9)
        )
    with pytest.raises(BookingRefused) as refused:
        services.book_appointment(
            actor=nurse,
            patient=PatientFactory(center=center),
            protocol=short_protocol,
            chair=chairs[4],
            start=at(9, 15),
        )
    assert codes(refused.value) == {"nurse_start_full"}
    booked = services.book_appointment(
        actor=nurse, patient=PatientFactory(center=center), protocol=short_protocol, chair=chairs[4], start=at(9, 30)
    )
    assert booked.pk


def test_watch_capacity(center, nurse, short_protocol):
    NurseShiftFactory(center=center, nurse=nurse, start=at(7), end=at(19))
    center.patients_per_nurse = 1
    center.save()
    first, second = ChairFactory(center=center), ChairFactory(center=center)
    services.book_appointment(
        actor=nurse, patient=PatientFactory(center=center), protocol=short_protocol, chair=first, start=at(9)
    )
    with pytest.raises(BookingRefused) as refused:
        services.book_appointment(
            actor=nurse, patient=PatientFactory(center=center), protocol=short_protocol, chair=second, start=at(9, 30)
        )
    assert codes(refused.value) == {"nurse_watch_full"}


def test_no_nurse_on_shift(center, chair, patient, protocol, nurse):
    with pytest.raises(BookingRefused) as refused:
        services.book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=chair, start=at(9))
    assert "no_nurse_on_shift" in codes(refused.value)


def test_patient_cannot_be_in_two_chairs(staffed, center, patient, protocol, nurse):
    services.book_appointment(
        actor=nurse, patient=patient, protocol=protocol, chair=ChairFactory(center=center), start=at(8)
    )
    other_protocol = ProtocolFactory(code="nat", name="Natalizumab")  # another treatment: only the overlap refuses
    with pytest.raises(BookingRefused) as refused:
        services.book_appointment(
            actor=nurse, patient=patient, protocol=other_protocol, chair=ChairFactory(center=center), start=at(9)
        )
    assert codes(refused.value) == {"patient_busy"}


def test_patient_of_another_center_and_inactive_protocol(staffed, chair, other_center, protocol, nurse, patient):
    with pytest.raises(BookingRefused) as refused:
        services.book_appointment(
            actor=nurse, patient=PatientFactory(center=other_center), protocol=protocol, chair=chair, start=at(8)
        )
    assert codes(refused.value) == {"patient_other_center"}
    protocol.is_active = False
    protocol.save()
    with pytest.raises(BookingRefused) as refused:
        services.book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=chair, start=at(8))
    assert codes(refused.value) == {"protocol_inactive"}


def test_move_releases_the_old_time_only_when_the_new_one_is_booked(staffed, center, chair, patient, protocol, nurse):
    appointment = services.book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=chair, start=at(8))
    other = ChairFactory(center=center)
    ChairBlockFactory(chair=other, start=at(13), end=at(15))
    with pytest.raises(BookingRefused):
        services.move_appointment(actor=nurse, appointment=appointment, chair=other, start=at(12))
    appointment.refresh_from_db()
    assert (appointment.chair, appointment.start) == (chair, at(8))
    # Overlapping its own old time is fine: it does not block itself.
    moved = services.move_appointment(actor=nurse, appointment=appointment, chair=chair, start=at(9))
    assert (moved.start, moved.end) == (at(9), at(9) + dt.timedelta(minutes=protocol.chair_minutes(1)))
    assert moved.history.count() == 2


def test_concurrent_bookings_never_exceed_start_capacity(transactional_db, center, nurse, short_protocol):
    """Two nurses book the last start of a window on two different chairs at once: one wins."""
    NurseShiftFactory(center=center, nurse=nurse, start=at(7), end=at(19))
    chairs = [ChairFactory(center=center) for _ in range(3)]
    services.book_appointment(
        actor=nurse, patient=PatientFactory(center=center), protocol=short_protocol, chair=chairs[0], start=at(9)
    )
    patients = [PatientFactory(center=center) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(chair, patient):
        try:
            barrier.wait()
            services.book_appointment(actor=nurse, patient=patient, protocol=short_protocol, chair=chair, start=at(9))
            outcomes.append("booked")
        except BookingRefused as refused:
            outcomes.append(refused.reasons[0].code)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(c, p)) for c, p in zip(chairs[1:], patients, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "nurse_start_full"]
    assert Appointment.objects.filter(start=at(9)).count() == 2


def test_planner_input_takes_a_constant_number_of_queries(
    staffed, center, protocol, django_assert_num_queries, django_assert_max_num_queries
):
    for hour in (8, 9):
        AppointmentFactory(center=center, chair=ChairFactory(center=center), protocol=protocol, start=at(hour))
    with django_assert_max_num_queries(8):  # cold: the center's fixed part (hours, chairs, rules…) too
        small = planner_input_for(center=center, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=13))
    with django_assert_num_queries(1):  # warm: bookings, blocks and shifts in one query
        planner_input_for(center=center, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=13))
    for _ in range(10):  # new chairs: the cached fixed part is stale and read again
        AppointmentFactory(center=center, chair=ChairFactory(center=center), protocol=protocol, start=at(10))
    with django_assert_max_num_queries(8):
        large = planner_input_for(center=center, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=13))
    assert len(large.booked) == len(small.booked) + 10
    assert len(large.chairs) == len(small.chairs) + 10
    with django_assert_num_queries(1):
        planner_input_for(center=center, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=13))


def test_every_candidate_can_be_booked(staffed, center, protocol, nurse):
    for _ in range(3):
        ChairFactory(center=center)
    request = slot_request_for(protocol=protocol, dose_number=1, date_from=MONDAY, date_to=MONDAY, limit=100)
    result = planner.find_slots(planner_input_for(center=center, date_from=MONDAY, date_to=MONDAY), request)
    assert result.candidates
    top = result.candidates[0]
    chair = center.chairs.get(pk=top.chair_id)
    booked = services.book_appointment(
        actor=nurse, patient=PatientFactory(center=center), protocol=protocol, chair=chair, start=top.start
    )
    assert booked.end == top.end


def test_bookings_on_another_day_do_not_wait_for_a_held_day(transactional_db, center, nurse, short_protocol):
    """The booking lock is per center and local day: a long transaction on Monday blocks only Monday."""
    from django.db import transaction

    tuesday = MONDAY + dt.timedelta(days=1)
    for day in (MONDAY, tuesday):
        NurseShiftFactory(center=center, nurse=nurse, start=at(7, day=day), end=at(19, day=day))
    chair = ChairFactory(center=center)
    holding, release = threading.Event(), threading.Event()

    def hold_monday():
        try:
            with transaction.atomic():
                services._lock_center_day(center, at(9))
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_monday)
    holder.start()
    holding.wait(10)
    try:
        booked = services.book_appointment(
            actor=nurse,
            patient=PatientFactory(center=center),
            protocol=short_protocol,
            chair=chair,
            start=at(9, day=tuesday),
        )
        assert booked.pk
        services.LOCK_TIMEOUT_MS, saved = 300, services.LOCK_TIMEOUT_MS
        try:
            with pytest.raises(services.CenterBusy):
                services.book_appointment(
                    actor=nurse,
                    patient=PatientFactory(center=center),
                    protocol=short_protocol,
                    chair=chair,
                    start=at(9),
                )
        finally:
            services.LOCK_TIMEOUT_MS = saved
    finally:
        release.set()
        holder.join()


def test_a_start_that_has_passed_is_refused_unless_loading_history(staffed, chair, patient, protocol, nurse):
    """Bookings and moves are for the future; the demo loads its past week with allow_past."""
    from unittest import mock

    from django.utils import timezone

    with mock.patch.object(timezone, "now", return_value=at(12)):
        with pytest.raises(BookingRefused) as refused:
            services.book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=chair, start=at(8))
        assert codes(refused.value) == {"in_the_past"}
        appointment = services.book_appointment(
            actor=nurse, patient=patient, protocol=protocol, chair=chair, start=at(8), allow_past=True
        )
        with pytest.raises(BookingRefused) as refused:
            services.move_appointment(actor=nurse, appointment=appointment, chair=chair, start=at(9))
        assert codes(refused.value) == {"in_the_past"}
