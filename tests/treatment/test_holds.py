"""Tentative holds of a first dose while its authorization is pending: they hold the chair and count against
capacity, get no reminders until confirmed, are confirmed on approval and released on time otherwise."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from chairs.models import NurseShift
from reminders.models import Reminder
from scheduling.errors import BookingRefused, InvalidTransition
from scheduling.models import AppointmentStatus
from scheduling.services import book_appointment, transition
from tests.factories import ChairFactory, PatientFactory, UserFactory
from tests.treatment.conftest import at, make_order
from treatment.authorizations import place_hold, record_stage, release_due_holds
from treatment.models import AuthorizationStatus, PriorAuthorization
from treatment.tasks import release_due_holds_task

NOW = dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC)  # Tuesday 1 December, 09:00 in New York
HOLD_DAY = dt.date(2026, 12, 14)  # a Monday; released on Friday 11 December unless approved


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def floor(center):
    chairs = [ChairFactory(center=center, label=f"C0{n}") for n in (1, 2)]
    nurse = UserFactory(role="nurse", center=center)
    for day in range(1, 31):
        start = at(dt.date(2026, 12, day), 7)
        if start.weekday() < 5:
            NurseShift.objects.create(center=center, nurse=nurse, start=start, end=at(start.date(), 19))
    return chairs


@pytest.fixture
def pending(patient, library):
    order = make_order(patient, library["ocr"], auth=AuthorizationStatus.PENDING, start=dt.date(2026, 11, 20))
    authorization = PriorAuthorization.objects.get(order=order)
    record_stage(actor=None, authorization=authorization, stage="submitted")
    authorization.refresh_from_db()
    return authorization


def test_a_hold_books_a_pending_first_dose_without_reminders(pending, floor, front_desk):
    hold = place_hold(actor=front_desk, authorization=pending, chair=floor[0], start=at(HOLD_DAY, 9))
    assert hold.status == AppointmentStatus.PENDING and hold.dose_number == 1
    assert hold.tentative_hold.authorization == pending and hold.booked_by == front_desk
    assert not Reminder.objects.filter(appointment=hold).exists()


def test_a_hold_counts_against_the_chair_like_a_booking(pending, floor, front_desk, center, library):
    place_hold(actor=front_desk, authorization=pending, chair=floor[0], start=at(HOLD_DAY, 9))
    other = PatientFactory(center=center)
    make_order(other, library["ocr"])
    with pytest.raises(BookingRefused) as refused:
        book_appointment(
            actor=front_desk, patient=other, protocol=library["ocr"], chair=floor[0], start=at(HOLD_DAY, 10)
        )
    assert "chair_taken" in [r.code for r in refused.value.reasons]


def test_a_hold_follows_the_planner_rules(pending, floor, front_desk):
    with pytest.raises(BookingRefused) as refused:
        place_hold(actor=front_desk, authorization=pending, chair=floor[0], start=at(dt.date(2026, 12, 19), 9))
    assert refused.value.code == "closed"  # a Saturday


def test_no_hold_too_close_to_its_release_or_for_an_authorization_not_pending(pending, floor, front_desk):
    with pytest.raises(BookingRefused) as refused:
        place_hold(actor=front_desk, authorization=pending, chair=floor[0], start=at(dt.date(2026, 12, 4), 9))
    assert refused.value.code == "hold_too_soon"
    record_stage(
        actor=None,
        authorization=pending,
        stage="approved",
        approved_from=dt.date(2026, 12, 1),
        approved_until=dt.date(2027, 6, 1),
    )
    with pytest.raises(BookingRefused) as refused:
        place_hold(actor=front_desk, authorization=pending, chair=floor[0], start=at(HOLD_DAY, 9))
    assert refused.value.code == "authorization_not_pending"


def test_the_patient_cannot_confirm_and_the_desk_cannot_check_in_a_hold(pending, floor, front_desk):
    hold = place_hold(actor=front_desk, authorization=pending, chair=floor[0], start=at(HOLD_DAY, 9))
    for actor, action in [(None, "confirm"), (front_desk, "check_in"), (front_desk, "confirm_hold")]:
        with pytest.raises(InvalidTransition):
            transition(actor=actor, appointment=hold, action=action)
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.PENDING


def test_approval_confirms_the_hold_and_then_reminders_are_planned(pending, floor, front_desk):
    hold = place_hold(actor=front_desk, authorization=pending, chair=floor[0], start=at(HOLD_DAY, 9))
    record_stage(
        actor=front_desk,
        authorization=pending,
        stage="approved",
        approved_from=dt.date(2026, 12, 1),
        approved_until=dt.date(2027, 6, 1),
    )
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.BOOKED
    assert hold.history.first().history_user == front_desk
    assert Reminder.objects.filter(appointment=hold).count() == 2  # 72 h and 24 h before, by SMS


def test_an_approval_that_does_not_cover_the_date_leaves_the_hold_to_its_release(pending, floor, front_desk):
    hold = place_hold(actor=front_desk, authorization=pending, chair=floor[0], start=at(HOLD_DAY, 9))
    record_stage(
        actor=front_desk,
        authorization=pending,
        stage="approved",
        approved_from=dt.date(2027, 1, 1),
        approved_until=dt.date(2027, 6, 1),
    )
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.PENDING


def test_a_hold_not_approved_is_released_three_days_before_its_date(pending, floor, front_desk):
    hold = place_hold(actor=front_desk, authorization=pending, chair=floor[0], start=at(HOLD_DAY, 9))
    # 23:59 on Thursday 10 December in New York: not yet.
    with time_machine.travel(dt.datetime(2026, 12, 11, 4, 59, tzinfo=dt.UTC), tick=False):
        assert release_due_holds() == 0
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.PENDING
    # 00:01 on Friday 11 December in New York: released, by the task, once.
    with time_machine.travel(dt.datetime(2026, 12, 11, 5, 1, tzinfo=dt.UTC), tick=False):
        assert release_due_holds_task() == 1
        assert release_due_holds() == 0
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.CANCELLED and hold.cancelled_by == "center"
    assert "not approved 3 days before" in hold.cancel_reason
    assert not Reminder.objects.filter(appointment=hold).exists()


def test_the_release_days_are_a_setting(pending, floor, front_desk, settings):
    settings.AUTHORIZATION_HOLD_RELEASE_DAYS = 7
    hold = place_hold(actor=front_desk, authorization=pending, chair=floor[0], start=at(HOLD_DAY, 9))
    with time_machine.travel(dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC), tick=False):
        assert release_due_holds() == 1
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.CANCELLED


def test_withdrawing_the_request_releases_its_holds(pending, floor, front_desk):
    hold = place_hold(actor=front_desk, authorization=pending, chair=floor[0], start=at(HOLD_DAY, 9))
    record_stage(actor=front_desk, authorization=pending, stage="withdrawn")
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.CANCELLED and hold.cancel_reason == "Prior authorization withdrawn."


def test_the_patients_calendar_leaves_a_hold_out_until_it_is_confirmed(pending, floor, front_desk, client):
    from django.urls import reverse

    hold = place_hold(actor=front_desk, authorization=pending, chair=floor[0], start=at(HOLD_DAY, 9))
    client.force_login(front_desk)
    feed = reverse("treatment_calendar", args=[hold.patient_id])
    assert "BEGIN:VEVENT" not in client.get(feed).content.decode()
    record_stage(
        actor=front_desk,
        authorization=pending,
        stage="approved",
        approved_from=dt.date(2026, 12, 1),
        approved_until=dt.date(2027, 6, 1),
    )
    assert client.get(feed).content.decode().count("BEGIN:VEVENT") == 1


def test_approving_on_the_form_also_confirms_the_hold(patient, library, floor, front_desk):
    from treatment.services import save_authorization

    order = make_order(patient, library["nat"], auth=AuthorizationStatus.PENDING, start=dt.date(2026, 11, 20))
    authorization = PriorAuthorization.objects.get(order=order)  # no stages recorded: the form's path
    hold = place_hold(actor=front_desk, authorization=authorization, chair=floor[1], start=at(HOLD_DAY, 9))
    authorization.status = AuthorizationStatus.APPROVED
    authorization.approved_from, authorization.approved_until = dt.date(2026, 12, 1), dt.date(2027, 6, 1)
    save_authorization(actor=front_desk, authorization=authorization, order=order)
    hold.refresh_from_db()
    assert hold.status == AppointmentStatus.BOOKED
