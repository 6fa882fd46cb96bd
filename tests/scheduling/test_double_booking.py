"""The database itself refuses a double-booked chair (exclusion constraint over chair and time)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from scheduling.models import Appointment, AppointmentStatus
from tests.factories import NEW_YORK, AppointmentFactory, PatientFactory


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, 7, hour, minute, tzinfo=NEW_YORK)


def test_overlapping_booking_on_same_chair_is_refused(chair, protocol):
    AppointmentFactory(center=chair.center, chair=chair, protocol=protocol, start=at(9), end=at(11))
    with pytest.raises(IntegrityError, match="no_double_booked_chair"), transaction.atomic():
        AppointmentFactory(center=chair.center, chair=chair, protocol=protocol, start=at(10), end=at(12))
    assert Appointment.objects.count() == 1


def test_touching_bookings_are_allowed(chair, protocol):
    AppointmentFactory(center=chair.center, chair=chair, protocol=protocol, start=at(10), end=at(11))
    AppointmentFactory(center=chair.center, chair=chair, protocol=protocol, start=at(11), end=at(12))
    AppointmentFactory(center=chair.center, chair=chair, protocol=protocol, start=at(9), end=at(10))
    assert Appointment.objects.count() == 3


def test_same_time_on_another_chair_is_allowed(chair, protocol):
    other = type(chair).objects.create(center=chair.center, label="C02")
    AppointmentFactory(center=chair.center, chair=chair, protocol=protocol, start=at(9), end=at(11))
    AppointmentFactory(center=chair.center, chair=other, protocol=protocol, start=at(9), end=at(11))
    assert Appointment.objects.count() == 2


@pytest.mark.parametrize(
    "freeing_status",
    [AppointmentStatus.CANCELLED, AppointmentStatus.NOSHOW, AppointmentStatus.ENTERED_IN_ERROR],
)
def test_cancelled_appointment_frees_the_chair(chair, protocol, freeing_status):
    first = AppointmentFactory(center=chair.center, chair=chair, protocol=protocol, start=at(9), end=at(11))
    first.status = freeing_status
    first.save()
    AppointmentFactory(center=chair.center, chair=chair, protocol=protocol, start=at(9), end=at(11))
    assert Appointment.objects.active().count() == 1


def test_reactivating_a_cancelled_appointment_into_a_taken_slot_is_refused(chair, protocol):
    first = AppointmentFactory(
        center=chair.center, chair=chair, protocol=protocol, start=at(9), end=at(11), status="cancelled"
    )
    AppointmentFactory(center=chair.center, chair=chair, protocol=protocol, start=at(10), end=at(12))
    first.status = AppointmentStatus.BOOKED
    with pytest.raises(IntegrityError), transaction.atomic():
        first.save()


def test_appointment_must_end_after_it_starts(chair, protocol):
    with pytest.raises(IntegrityError, match="appointment_ends_after_start"), transaction.atomic():
        AppointmentFactory(center=chair.center, chair=chair, protocol=protocol, start=at(9), end=at(9))


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_inserts_for_one_chair_leave_exactly_one_row(chair, protocol):
    patients = [PatientFactory(center=chair.center) for _ in range(20)]
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def book(patient):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                Appointment.objects.create(
                    center=chair.center,
                    chair=chair,
                    patient=patient,
                    protocol=protocol,
                    start=at(9),
                    end=at(11),
                    dose_number=3,
                )
            result = "booked"
        except IntegrityError:
            result = "refused"
        except OperationalError as error:
            # PostgreSQL guarantees one row, not which error the losers see: on 18 concurrent inserts
            # into the exclusion constraint can end in a deadlock (40P01) or a serialization failure.
            if getattr(error.__cause__, "pgcode", None) not in {"40P01", "40001"}:
                raise
            result = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=book, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["booked"] + ["refused"] * 19
    assert Appointment.objects.filter(chair=chair).count() == 1
