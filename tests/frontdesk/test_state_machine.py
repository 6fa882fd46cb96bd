"""The one state machine: every allowed and every refused transition, and its side rules."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from scheduling.errors import BookingRefused, InvalidTransition
from scheduling.models import Appointment
from scheduling.services import ACTION_LABELS, TRANSITIONS, allowed_actions, transition
from tests.factories import AppointmentFactory, ChairFactory, UserFactory
from tests.frontdesk.conftest import at

# Every state an appointment can be in: (status, chair stage).
STATES = [
    ("proposed", ""),
    ("pending", ""),
    ("booked", ""),
    ("arrived", ""),
    ("checked-in", "in_chair"),
    ("checked-in", "infusing"),
    ("checked-in", "observation"),
    ("fulfilled", ""),
    ("cancelled", ""),
    ("noshow", ""),
    ("entered-in-error", ""),
    ("waitlist", ""),
]
ACTIVE_BEFORE_CHAIR = [("proposed", ""), ("pending", ""), ("booked", ""), ("arrived", ""), ("waitlist", "")]
# action -> {from state: to state}, written out by hand (not derived from TRANSITIONS) so the test checks it.
EXPECTED = {
    # "pending" is a tentative hold for a pending prior authorization: never confirmed by the patient,
    # checked in or marked a no-show; it is confirmed (once approved) or released.
    "confirm": {("booked", ""): ("booked", "")},
    "check_in": {("booked", ""): ("arrived", "")},
    "undo_check_in": {("arrived", ""): ("booked", "")},
    "seat": {("arrived", ""): ("checked-in", "in_chair")},
    "start_infusion": {("checked-in", "in_chair"): ("checked-in", "infusing")},
    "start_observation": {("checked-in", "infusing"): ("checked-in", "observation")},
    "complete": {
        ("checked-in", "infusing"): ("fulfilled", ""),
        ("checked-in", "observation"): ("fulfilled", ""),
    },
    "no_show": {("booked", ""): ("noshow", "")},
    "confirm_hold": {("pending", ""): ("booked", "")},
    "release_hold": {("pending", ""): ("cancelled", "")},
    "cancel": {state: ("cancelled", "") for state in ACTIVE_BEFORE_CHAIR},
    "enter_in_error": {
        state: ("entered-in-error", "") for state in STATES if state[0] not in ("cancelled", "entered-in-error")
    },
}
STAMPS = {
    "confirm": "confirmed_at",
    "check_in": "arrived_at",
    "seat": "chair_start_at",
    "start_infusion": "infusion_start_at",
    "start_observation": "observation_start_at",
    "complete": "discharged_at",
    "cancel": "cancelled_at",
    "release_hold": "cancelled_at",
}
CASES = [(action, state) for action in EXPECTED for state in STATES]


def test_expected_table_covers_every_action():
    assert set(EXPECTED) == set(TRANSITIONS) == set(ACTION_LABELS)


@pytest.fixture
def actor(center):
    return UserFactory(role="nurse", center=center)


@pytest.mark.parametrize(
    ("action", "state"), CASES, ids=[f"{a}-from-{s[0]}{'-' + s[1] if s[1] else ''}" for a, s in CASES]
)
def test_transition(action, state, center, chair, protocol, actor):
    appointment = AppointmentFactory(
        center=center, chair=chair, protocol=protocol, start=at(9), status=state[0], chair_stage=state[1]
    )
    now = at(10)  # an hour after the booked start: past the no-show grace period
    expected = EXPECTED[action].get(state)
    assert (action in allowed_actions(appointment)) == (expected is not None)
    if expected is None:
        with pytest.raises(InvalidTransition) as refused:
            transition(actor=actor, appointment=appointment, action=action, cancelled_by="patient", now=now)
        assert refused.value.message.startswith(f"Cannot {ACTION_LABELS[action].lower()}")
        appointment.refresh_from_db()
        assert (appointment.status, appointment.chair_stage) == state
        assert appointment.history.count() == 1
        return
    result = transition(actor=actor, appointment=appointment, action=action, cancelled_by="patient", now=now)
    appointment.refresh_from_db()
    assert (appointment.status, appointment.chair_stage) == expected == (result.status, result.chair_stage)
    if action in STAMPS:
        assert getattr(appointment, STAMPS[action]) == now
    latest = appointment.history.first()
    assert latest.history_user == actor
    assert (latest.status, latest.chair_stage) == expected


def test_unknown_action_is_refused(booked, actor):
    with pytest.raises(InvalidTransition, match="Unknown action"):
        transition(actor=actor, appointment=booked, action="teleport")


def test_no_show_only_after_grace_period(booked, actor):
    grace = booked.center.noshow_grace_minutes
    with pytest.raises(InvalidTransition, match="grace period") as early:
        transition(actor=actor, appointment=booked, action="no_show", now=at(9, grace - 1))
    assert early.value.code == "noshow_too_early"
    booked.refresh_from_db()
    assert booked.status == "booked"
    transition(actor=actor, appointment=booked, action="no_show", now=at(9, grace))
    booked.refresh_from_db()
    assert booked.status == "noshow"


def test_cancel_records_who_and_why(booked, actor):
    with pytest.raises(InvalidTransition, match="patient or the center"):
        transition(actor=actor, appointment=booked, action="cancel", reason="unwell")
    transition(
        actor=actor, appointment=booked, action="cancel", cancelled_by="center", reason="  pump broken ", now=at(8)
    )
    booked.refresh_from_db()
    assert (booked.status, booked.cancelled_by, booked.cancel_reason, booked.cancelled_at) == (
        "cancelled",
        "center",
        "pump broken",
        at(8),
    )


def test_undo_check_in_clears_arrival_time(booked, actor):
    transition(actor=actor, appointment=booked, action="check_in", now=at(8, 50))
    transition(actor=actor, appointment=booked, action="undo_check_in")
    booked.refresh_from_db()
    assert (booked.status, booked.arrived_at) == ("booked", None)


def test_full_day_records_every_timestamp(booked, actor):
    steps = [("check_in", at(8, 50)), ("seat", at(9, 5)), ("start_infusion", at(9, 40)),
             ("start_observation", at(13, 10)), ("complete", at(14, 10))]  # fmt: skip
    for action, moment in steps:
        transition(actor=actor, appointment=booked, action=action, now=moment)
    booked.refresh_from_db()
    assert booked.status == "fulfilled"
    assert [booked.arrived_at, booked.chair_start_at, booked.infusion_start_at, booked.observation_start_at,
            booked.discharged_at] == [m for _, m in steps]  # fmt: skip
    assert booked.history.count() == 6


def test_chair_may_be_chosen_only_when_seating(booked, actor, chair):
    with pytest.raises(InvalidTransition, match="only when seating"):
        transition(actor=actor, appointment=booked, action="check_in", chair=chair)


def test_seat_on_another_free_chair_moves_the_appointment(staffed, booked, actor):
    other = ChairFactory(center=booked.center, label="C02")
    transition(actor=actor, appointment=booked, action="check_in", now=at(8, 55))
    transition(actor=actor, appointment=booked, action="seat", chair=other, now=at(9))
    booked.refresh_from_db()
    assert (booked.chair, booked.status, booked.chair_stage) == (other, "checked-in", "in_chair")
    assert (booked.start, booked.end) == (at(9), at(14, 10))


def test_seat_on_a_taken_chair_is_refused_and_nothing_changes(staffed, booked, actor, protocol):
    other = ChairFactory(center=booked.center, label="C02")
    AppointmentFactory(center=booked.center, chair=other, protocol=protocol, start=at(11))
    transition(actor=actor, appointment=booked, action="check_in", now=at(8, 55))
    with pytest.raises(BookingRefused) as refused:
        transition(actor=actor, appointment=booked, action="seat", chair=other, now=at(9))
    assert "chair_taken" in {r.code for r in refused.value.reasons}
    booked.refresh_from_db()
    assert (booked.chair.label, booked.status, booked.chair_start_at) == ("C01", "arrived", None)


def test_seat_on_another_centers_chair_is_refused(booked, actor, other_center):
    foreign = ChairFactory(center=other_center, label="X1")
    transition(actor=actor, appointment=booked, action="check_in", now=at(8, 55))
    with pytest.raises(BookingRefused):
        transition(actor=actor, appointment=booked, action="seat", chair=foreign, now=at(9))


@pytest.mark.django_db(transaction=True)
def test_concurrent_check_in_by_two_users_ends_in_one_consistent_state(center, chair, patient, protocol):
    appointment = AppointmentFactory(center=center, chair=chair, patient=patient, protocol=protocol, start=at(9))
    desk_a = UserFactory(role="front_desk", center=center)
    desk_b = UserFactory(role="front_desk", center=center)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def check_in(user, moment):
        try:
            barrier.wait(timeout=10)
            transition(actor=user, appointment=appointment, action="check_in", now=moment)
            outcomes[user.username] = "checked in"
        except InvalidTransition as error:
            outcomes[user.username] = error.message
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=check_in, args=(desk_a, at(8, 50))),
        threading.Thread(target=check_in, args=(desk_b, at(8, 51))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["Cannot check in: the appointment is arrived.", "checked in"]
    winner = next(name for name, outcome in outcomes.items() if outcome == "checked in")
    appointment = Appointment.objects.get(pk=appointment.pk)
    assert appointment.status == "arrived"
    assert appointment.arrived_at == (at(8, 50) if winner == desk_a.username else at(8, 51))
    arrivals = [h for h in appointment.history.all() if h.status == "arrived"]
    assert len(arrivals) == 1 and arrivals[0].history_user.username == winner
    assert connection.is_usable()
    assert dt.timedelta(0) <= appointment.updated_at - appointment.created_at


def test_reason_is_kept_in_the_history(booked, actor):
    transition(actor=actor, appointment=booked, action="enter_in_error", reason="Booked for the wrong patient")
    latest = booked.history.first()
    assert (latest.status, latest.history_change_reason) == ("entered-in-error", "Booked for the wrong patient")
