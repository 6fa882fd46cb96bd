"""Booking checks readiness: refuse what cannot be completed before the date, warn about the rest."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling.errors import BookingRefused
from scheduling.models import Appointment
from scheduling.services import book_appointment
from tests.treatment.conftest import at, make_order, monday_in
from treatment.models import AuthorizationStatus, PrerequisiteDocument
from treatment.readiness import readiness_for


def book(actor, patient, protocol, chair, day, dose, **kwargs):
    return book_appointment(
        actor=actor, patient=patient, protocol=protocol, chair=chair, start=at(day, 9), dose_number=dose, **kwargs
    )


def test_booking_without_an_order_is_refused(staffed, library, patient, front_desk):
    with pytest.raises(BookingRefused) as refused:
        book(front_desk, patient, library["ocr"], staffed.test_chairs[0], monday_in(2), 3)
    assert [r.code for r in refused.value.reasons] == ["no_order"]
    assert not Appointment.objects.exists()


def test_booking_after_the_order_expires_is_refused(staffed, library, patient, front_desk):
    day = monday_in(2)
    make_order(patient, library["ocr"], start=dt.date.today(), until=day - dt.timedelta(days=1))
    with pytest.raises(BookingRefused, match="expires on"):
        book(front_desk, patient, library["ocr"], staffed.test_chairs[0], day, 3)


def test_center_admin_may_override_with_a_recorded_reason(staffed, library, patient, center_admin):
    appointment = book(
        center_admin,
        patient,
        library["ocr"],
        staffed.test_chairs[0],
        monday_in(2),
        3,
        readiness_override_reason="Order faxed, being entered today",
    )
    appointment.refresh_from_db()
    assert appointment.readiness_override_reason == "Order faxed, being entered today"
    assert appointment.readiness_override_by == center_admin
    readiness = readiness_for([appointment])[appointment.pk]
    assert not readiness.ready and readiness.override_reason


def test_front_desk_cannot_override(staffed, library, patient, front_desk):
    with pytest.raises(BookingRefused) as refused:
        book(
            front_desk, patient, library["ocr"], staffed.test_chairs[0], monday_in(2), 3, readiness_override_reason="x"
        )
    assert refused.value.reasons[0].code == "override_not_allowed"


def test_completable_items_book_with_a_warning(staffed, library, patient, front_desk):
    make_order(patient, library["lec"], start=dt.date.today())
    appointment = book(front_desk, patient, library["lec"], staffed.test_chairs[0], monday_in(3), 3)
    assert [w.code for w in appointment.readiness_warnings] == ["mri_missing"]
    assert Appointment.objects.filter(pk=appointment.pk).exists()


def test_pending_authorization_books_with_a_warning(staffed, library, patient, front_desk):
    make_order(patient, library["ocr"], start=dt.date.today(), auth=AuthorizationStatus.PENDING)
    appointment = book(front_desk, patient, library["ocr"], staffed.test_chairs[0], monday_in(2), 3)
    assert [w.code for w in appointment.readiness_warnings] == ["authorization_pending"]


def test_vaccine_that_can_no_longer_be_given_14_days_ahead_refuses_dose_1(staffed, library, patient, front_desk):
    make_order(patient, library["ecu"], start=dt.date.today())
    PrerequisiteDocument.objects.create(patient=patient, kind="rems_enrollment", performed_on=dt.date.today())
    soon = monday_in(1)  # at most 7 days away: too late for a vaccine 14 days ahead
    with pytest.raises(BookingRefused) as refused:
        book(front_desk, patient, library["ecu"], staffed.test_chairs[0], soon, 1)
    assert refused.value.reasons[0].code == "meningococcal_vaccine_missing"
    PrerequisiteDocument.objects.create(
        patient=patient, kind="meningococcal_vaccine", performed_on=soon - dt.timedelta(days=14)
    )
    appointment = book(front_desk, patient, library["ecu"], staffed.test_chairs[0], soon, 1)
    assert appointment.readiness_warnings == []


def test_visits_used_up_refuse_the_next_booking(staffed, library, patient, front_desk):
    make_order(patient, library["nat"], start=dt.date.today(), visits=1, auth=AuthorizationStatus.APPROVED)
    PrerequisiteDocument.objects.create(patient=patient, kind="rems_enrollment", performed_on=dt.date.today())
    book(front_desk, patient, library["nat"], staffed.test_chairs[0], monday_in(1), 1)
    with pytest.raises(BookingRefused) as refused:
        book(front_desk, patient, library["nat"], staffed.test_chairs[0], monday_in(5), 2)
    assert refused.value.reasons[0].code == "authorization_visits_used"


def test_moving_a_dose_past_its_order_is_refused_and_keeps_the_old_time(staffed, library, patient, front_desk):
    from scheduling.services import move_appointment

    day = monday_in(2)
    make_order(patient, library["ocr"], start=dt.date.today(), until=day + dt.timedelta(days=3))
    appointment = book(front_desk, patient, library["ocr"], staffed.test_chairs[0], day, 3)
    moved = move_appointment(
        actor=front_desk, appointment=appointment, chair=staffed.test_chairs[1], start=at(day + dt.timedelta(days=1))
    )
    assert moved.start == at(day + dt.timedelta(days=1))
    with pytest.raises(BookingRefused, match="expires on"):
        move_appointment(
            actor=front_desk,
            appointment=appointment,
            chair=staffed.test_chairs[0],
            start=at(day + dt.timedelta(days=7)),
        )
    appointment.refresh_from_db()
    assert appointment.start == at(day + dt.timedelta(days=1))
