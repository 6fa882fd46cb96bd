"""The chair's gates in the one door (``transition``): pre-medication given in its window before the
infusion starts, pre-infusion vitals before the start, post-observation vitals before discharge; and
during-infusion vitals shown overdue at the regimen's interval."""

from __future__ import annotations

import datetime as dt

import pytest

from chairside import selectors, services
from chairside.errors import ChairSideInvalid, ChairSideRefused
from chairside.models import PremedicationGiven
from scheduling.errors import InvalidTransition
from scheduling.models import AppointmentStatus, ChairStage
from scheduling.services import transition
from tests.factories import NEW_YORK, AppointmentFactory, ProtocolFactory
from tests.treatment.conftest import at, make_order

NOW = dt.datetime(2026, 12, 1, 9, 5, tzinfo=NEW_YORK)
TODAY = NOW.date()
MIN = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def seated(center, chair, library, patient, nurse):
    """Eptinezumab dose 2, booked 09:00 today, the patient seated."""
    make_order(patient, library["ept"])
    appointment = AppointmentFactory(
        center=center, patient=patient, protocol=library["ept"], chair=chair, dose_number=2, start=at(TODAY),
        status=AppointmentStatus.ARRIVED, arrived_at=NOW - 10 * MIN,
    )  # fmt: skip
    return transition(actor=nurse, appointment=appointment, action="seat", now=NOW - 5 * MIN)


def vitals(appointment, nurse, phase, taken_at=None):
    return services.record_vitals(
        actor=nurse, appointment=appointment, phase=phase, systolic=120, diastolic=80, pulse=70, taken_at=taken_at
    )


def codes(refused) -> list[str]:
    return [r.code for r in refused.value.reasons]


def test_infusion_refused_without_pre_infusion_vitals(seated, nurse):
    with pytest.raises(ChairSideRefused) as refused:
        transition(actor=nurse, appointment=seated, action="start_infusion")
    assert codes(refused) == ["vitals_pre_missing"]
    vitals(seated, nurse, "pre")
    assert transition(actor=nurse, appointment=seated, action="start_infusion").chair_stage == ChairStage.INFUSING


def test_infusion_refused_until_each_premedication_is_given_in_its_window(seated, nurse):
    order = services.add_premedication(
        actor=nurse, patient=seated.patient, protocol=seated.protocol, drug="methylprednisolone", dose="100 mg IV",
        minutes_before=30, window_minutes=15,
    )  # fmt: skip
    vitals(seated, nurse, "pre")
    with pytest.raises(ChairSideRefused) as refused:
        transition(actor=nurse, appointment=seated, action="start_infusion")
    assert codes(refused) == ["premedication_not_given"]
    assert "methylprednisolone 100 mg IV (15–45 min before the infusion) is not recorded" in str(refused.value.message)
    # Given just now: the infusion waits 15 minutes.
    services.record_premedication_given(actor=nurse, appointment=seated, order=order)
    with pytest.raises(ChairSideRefused) as refused:
        transition(actor=nurse, appointment=seated, action="start_infusion")
    assert codes(refused) == ["premedication_too_recent"]
    assert "start the infusion from 09:20" in refused.value.message
    # An hour later it is too long ago.
    with pytest.raises(ChairSideRefused) as refused:
        transition(actor=nurse, appointment=seated, action="start_infusion", now=NOW + 60 * MIN)
    assert codes(refused) == ["premedication_too_early"]
    started = transition(actor=nurse, appointment=seated, action="start_infusion", now=NOW + 20 * MIN)
    assert started.chair_stage == ChairStage.INFUSING


def test_a_premedication_given_is_audited_and_checked(seated, nurse, front_desk, library):
    order = services.add_premedication(
        actor=nurse, patient=seated.patient, protocol=seated.protocol, drug="cetirizine", dose="10 mg PO",
        minutes_before=30,
    )  # fmt: skip
    given = services.record_premedication_given(actor=nurse, appointment=seated, order=order, given_at=NOW - 30 * MIN)
    assert (given.drug, given.dose, given.given_by) == ("cetirizine", "10 mg PO", nurse)
    assert given.history.first().history_user == nurse
    with pytest.raises(Exception, match="nurses"):
        services.record_premedication_given(actor=front_desk, appointment=seated, order=order)
    with pytest.raises(ChairSideInvalid, match="future"):
        services.record_premedication_given(actor=nurse, appointment=seated, order=order, given_at=NOW + 30 * MIN)
    other = services.add_premedication(
        actor=nurse, patient=seated.patient, protocol=library["ocr"], drug="x", dose="1 mg", minutes_before=30
    )
    with pytest.raises(ChairSideInvalid, match="not for this patient's protocol"):
        services.record_premedication_given(actor=nurse, appointment=seated, order=other)
    assert PremedicationGiven.objects.count() == 1


def test_discharge_refused_without_post_observation_vitals(seated, nurse):
    vitals(seated, nurse, "pre")
    infusing = transition(actor=nurse, appointment=seated, action="start_infusion", now=NOW)
    observing = transition(actor=nurse, appointment=infusing, action="start_observation", now=NOW + 60 * MIN)
    late = NOW + 240 * MIN
    with pytest.raises(ChairSideRefused) as refused:
        transition(actor=nurse, appointment=observing, action="complete", now=late)
    assert codes(refused) == ["vitals_post_missing"]
    vitals(observing, nurse, "pre", taken_at=NOW + 70 * MIN)  # the wrong phase does not count
    with pytest.raises(ChairSideRefused):
        transition(actor=nurse, appointment=observing, action="complete", now=late)
    vitals(observing, nurse, "post", taken_at=NOW + 90 * MIN)
    assert transition(actor=nurse, appointment=observing, action="complete", now=late).status == "fulfilled"


def observing_late(seated, nurse):
    """The patient in observation, the protocol's time over: only the post-observation vitals are open."""
    vitals(seated, nurse, "pre")
    infusing = transition(actor=nurse, appointment=seated, action="start_infusion", now=NOW)
    return transition(actor=nurse, appointment=infusing, action="start_observation", now=NOW + 60 * MIN)


def test_discharge_without_post_observation_vitals_needs_the_reason_they_could_not_be_taken(seated, nurse):
    """The patient declined the cuff, or was sent to the emergency department: the nurse says so, and
    the discharge goes through with that reason kept in the history, under the nurse's name."""
    observing = observing_late(seated, nurse)
    late = NOW + 240 * MIN
    with pytest.raises(ChairSideRefused) as refused:
        transition(actor=nurse, appointment=observing, action="complete", now=late, vitals_waiver="   ")
    assert codes(refused) == ["vitals_post_missing"]
    done = transition(
        actor=nurse, appointment=observing, action="complete", now=late, vitals_waiver="Patient declined the vitals"
    )
    assert done.status == "fulfilled" and done.discharged_at == late
    last = done.history.first()
    assert (last.history_user, last.history_change_reason) == (
        nurse,
        "No post-observation vital signs: Patient declined the vitals",
    )


def test_an_early_discharge_without_vitals_keeps_both_reasons_in_full(seated, nurse):
    observing = observing_late(seated, nurse)
    why = "Infusion reaction: transferred to the emergency department by ambulance, family informed, " * 2
    done = transition(
        actor=nurse, appointment=observing, action="complete", now=NOW + 90 * MIN,
        reason="Infusion reaction", vitals_waiver=why.strip(),
    )  # fmt: skip
    assert done.history.first().history_change_reason == (
        f"Infusion reaction; No post-observation vital signs: {why.strip()}"
    )


def test_with_post_observation_vitals_no_waiver_is_recorded(seated, nurse):
    observing = observing_late(seated, nurse)
    vitals(observing, nurse, "post", taken_at=NOW + 90 * MIN)
    done = transition(
        actor=nurse, appointment=observing, action="complete", now=NOW + 240 * MIN, vitals_waiver="not needed"
    )
    assert done.status == "fulfilled" and done.history.first().history_change_reason is None


def test_a_vitals_waiver_is_for_discharge_only(seated, nurse):
    with pytest.raises(InvalidTransition) as refused:
        transition(actor=nurse, appointment=seated, action="start_infusion", vitals_waiver="Patient declined")
    assert refused.value.code == "vitals_waiver_not_expected"
    assert seated.history.count() == 2  # booked, seated: nothing more was written


def test_a_protocol_without_a_regimen_has_no_vitals_rule(center, chair, patient, nurse):
    custom = ProtocolFactory(code="zz", name="Custom", drug="custom")
    appointment = AppointmentFactory(
        center=center, patient=patient, protocol=custom, chair=chair, start=at(TODAY), status=AppointmentStatus.ARRIVED
    )
    seated = transition(actor=nurse, appointment=appointment, action="seat")
    assert transition(actor=nurse, appointment=seated, action="start_infusion").chair_stage == ChairStage.INFUSING


def test_during_vitals_are_overdue_after_the_regimens_interval(seated, nurse):
    vitals(seated, nurse, "pre")
    infusing = transition(actor=nurse, appointment=seated, action="start_infusion", now=NOW)
    due = selectors.vitals_due(infusing, interval_minutes=30, now=NOW + 20 * MIN)
    assert (due.phase, due.due_at, due.is_overdue) == ("during", NOW + 30 * MIN, False)
    assert selectors.vitals_overdue([infusing], now=NOW + 20 * MIN) == {}
    assert selectors.vitals_due(infusing, interval_minutes=30, now=NOW + 40 * MIN).is_overdue
    assert selectors.vitals_overdue([infusing], now=NOW + 40 * MIN) == {infusing.pk: NOW + 30 * MIN}
    vitals(infusing, nurse, "during", taken_at=NOW + 38 * MIN)
    assert selectors.vitals_overdue([infusing], now=NOW + 40 * MIN) == {}
