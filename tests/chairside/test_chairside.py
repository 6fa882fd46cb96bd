"""Chair-side rules: allergies at seating, the pharmacy's dispensing before the infusion, waste on a
no-show after preparation, reactions and lots — every one through the services and the state machine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from chairside import selectors, services
from chairside.errors import ChairSideInvalid, ChairSideRefused
from chairside.models import DosePreparation, PreparationStatus
from regimens.dosing import dose_plan
from regimens.models import Regimen
from scheduling.errors import ActionNotPermitted
from scheduling.models import AppointmentStatus, ChairStage
from scheduling.services import transition
from tests.factories import NEW_YORK, AppointmentFactory, PatientFactory, UserFactory, expire_cached_protocols
from tests.treatment.conftest import at, make_order

NOW = dt.datetime(2026, 12, 1, 9, 5, tzinfo=NEW_YORK)  # a Tuesday, just after the booked start
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def arrived(center, chair, library, patient):
    """Eptinezumab dose 2 (nothing to check before it), booked 09:00 today, checked in."""
    make_order(patient, library["ept"])
    return AppointmentFactory(
        center=center, patient=patient, protocol=library["ept"], chair=chair, dose_number=2, start=at(TODAY),
        status=AppointmentStatus.ARRIVED, arrived_at=NOW,
    )  # fmt: skip


def pre_vitals(appointment, nurse):
    services.record_vitals(actor=nurse, appointment=appointment, phase="pre", systolic=120, diastolic=80, pulse=70)


@pytest.fixture
def pharmacist(center):
    return UserFactory(role="pharmacy", center=center)


def test_seating_is_refused_for_an_allergy_to_the_drug(arrived, nurse):
    services.add_allergy(
        actor=nurse, patient=arrived.patient, substance="Eptinezumab", severity="severe", reaction="anaphylaxis"
    )
    with pytest.raises(ChairSideRefused) as refused:
        transition(actor=nurse, appointment=arrived, action="seat")
    assert refused.value.reasons[0].code == "allergy_conflict"
    arrived.refresh_from_db()
    assert arrived.chair_stage == ChairStage.NONE


def test_seating_is_refused_for_an_allergy_to_an_ordered_premedication(arrived, nurse):
    services.add_premedication(
        actor=nurse,
        patient=arrived.patient,
        protocol=arrived.protocol,
        drug="diphenhydramine",
        dose="50 mg IV",
        minutes_before=30,
    )
    allergy = services.add_allergy(
        actor=nurse, patient=arrived.patient, substance="diphenhydramine", severity="moderate"
    )
    with pytest.raises(ChairSideRefused, match="pre-medication diphenhydramine"):
        transition(actor=nurse, appointment=arrived, action="seat")
    services.set_allergy_active(actor=nurse, allergy=allergy, is_active=False)  # resolved: entered in error
    assert transition(actor=nurse, appointment=arrived, action="seat").chair_stage == ChairStage.IN_CHAIR


def test_an_unrelated_allergy_does_not_hold_the_chair(arrived, nurse):
    services.add_allergy(actor=nurse, patient=arrived.patient, substance="penicillin", severity="severe")
    assert transition(actor=nurse, appointment=arrived, action="seat").chair_stage == ChairStage.IN_CHAIR


def test_infusion_waits_for_the_pharmacy_to_dispense(arrived, nurse, pharmacist):
    seated = transition(actor=nurse, appointment=arrived, action="seat")
    pre_vitals(seated, nurse)
    with pytest.raises(ChairSideRefused) as refused:
        transition(actor=nurse, appointment=seated, action="start_infusion")
    assert refused.value.reasons[0].code == "dose_not_dispensed"
    services.set_preparation_status(actor=pharmacist, appointment=seated, status=PreparationStatus.PREPARED)
    with pytest.raises(ChairSideRefused, match="prepared"):
        transition(actor=nurse, appointment=seated, action="start_infusion")
    services.set_preparation_status(actor=pharmacist, appointment=seated, status=PreparationStatus.DISPENSED)
    assert transition(actor=nurse, appointment=seated, action="start_infusion").chair_stage == ChairStage.INFUSING


def test_a_center_without_pharmacy_staff_starts_without_dispensing(arrived, nurse):
    seated = transition(actor=nurse, appointment=arrived, action="seat")
    pre_vitals(seated, nurse)
    assert transition(actor=nurse, appointment=seated, action="start_infusion").chair_stage == ChairStage.INFUSING


def test_only_pharmacy_or_center_admins_change_a_preparation(arrived, nurse, center_admin):
    with pytest.raises(ActionNotPermitted):
        services.set_preparation_status(actor=nurse, appointment=arrived, status=PreparationStatus.PREPARED)
    services.set_preparation_status(actor=center_admin, appointment=arrived, status=PreparationStatus.PREPARED)
    with pytest.raises(ChairSideInvalid, match="cannot become"):
        services.set_preparation_status(actor=center_admin, appointment=arrived, status=PreparationStatus.PREPARED)


def test_a_dose_is_dispensed_only_once_the_patient_arrived(center, chair, library, patient, pharmacist):
    make_order(patient, library["ept"])
    booked = AppointmentFactory(
        center=center, patient=patient, protocol=library["ept"], chair=chair, dose_number=2, start=at(TODAY, 13)
    )
    services.set_preparation_status(actor=pharmacist, appointment=booked, status=PreparationStatus.PREPARED)
    with pytest.raises(ChairSideInvalid, match="arrived"):
        services.set_preparation_status(actor=pharmacist, appointment=booked, status=PreparationStatus.DISPENSED)


def test_a_no_show_after_preparation_is_wasted_and_counted(center, chair, library, patient, pharmacist, front_desk):
    make_order(patient, library["ept"])
    booked = AppointmentFactory(
        center=center, patient=patient, protocol=library["ept"], chair=chair, dose_number=2, start=at(TODAY, 8)
    )
    unprepared = AppointmentFactory(
        center=center, patient=PatientFactory(center=center), protocol=library["ept"], chair=chair, dose_number=1,
        start=at(TODAY, 7),
    )  # fmt: skip
    services.set_preparation_status(actor=pharmacist, appointment=booked, status=PreparationStatus.PREPARED)
    transition(actor=front_desk, appointment=booked, action="no_show")
    transition(actor=front_desk, appointment=unprepared, action="no_show")
    preparation = DosePreparation.objects.get(appointment=booked)
    assert preparation.status == PreparationStatus.WASTED and preparation.waste_reason == services.WASTE_ON_NOSHOW
    assert not DosePreparation.objects.filter(appointment=unprepared).exists()
    assert selectors.wasted_doses(center=center, date_from=TODAY, date_to=TODAY) == {"wasted": 1, "after_no_show": 1}


def test_pharmacy_queue_orders_doses_by_when_preparation_must_start(center, chair, library, patient, nurse):
    from tests.factories import ChairFactory

    make_order(patient, library["ept"])
    ocr_patient = PatientFactory(center=center)
    Regimen.objects.filter(protocol=library["ocr"]).update(preparation_lead_minutes=90)
    expire_cached_protocols()  # a queryset update sends no signal
    late_ept = AppointmentFactory(
        center=center, patient=patient, protocol=library["ept"], chair=chair, dose_number=2, start=at(TODAY, 10)
    )
    early_ocr = AppointmentFactory(
        center=center, patient=ocr_patient, protocol=library["ocr"], chair=ChairFactory(center=center), dose_number=3,
        start=at(TODAY, 10, 15),
    )  # fmt: skip
    rows = selectors.pharmacy_queue(center=center, day=TODAY)
    # Ocrelizumab starts later but needs 90 min of preparation and 30 min of pre-medication first.
    assert [r.appointment for r in rows] == [early_ocr, late_ept]
    ocr = library["ocr"]
    assert rows[0].needed_at == at(TODAY, 10, 15) + dt.timedelta(minutes=ocr.setup_minutes + ocr.premedication_minutes)
    assert rows[0].prepare_by == rows[0].needed_at - dt.timedelta(minutes=90)
    assert rows[0].not_before == rows[0].needed_at - dt.timedelta(minutes=240)
    assert rows[0].plan.amount_label == "600 mg"
    assert rows[0].allowed_steps == [PreparationStatus.PREPARED]


def test_a_reaction_needs_the_patient_in_the_chair_and_changes_the_next_dose(arrived, nurse):
    with pytest.raises(ChairSideInvalid):
        services.record_reaction(actor=nurse, appointment=arrived, grade=2, symptoms=["rash"], action="slowed")
    seated = transition(actor=nurse, appointment=arrived, action="seat")
    before = dose_plan(protocol=seated.protocol, dose_number=3, patient=seated.patient)
    services.record_reaction(
        actor=nurse, appointment=seated, grade=2, symptoms=["rash", "itching"], action="paused",
        treatment_given="cetirizine 10 mg", premedication_change="add cetirizine 10 mg 30 min before",
    )  # fmt: skip
    after = dose_plan(protocol=seated.protocol, dose_number=3, patient=seated.patient)
    assert after.chair_minutes == before.chair_minutes + 30
    assert any("cetirizine" in need for need in after.requirements)


def test_front_desk_cannot_document_at_the_chair(arrived, front_desk):
    with pytest.raises(ActionNotPermitted):
        services.record_vitals(actor=front_desk, appointment=arrived, phase="pre", systolic=120, diastolic=80, pulse=70)


def test_vitals_out_of_range_are_refused_not_stored(arrived, nurse):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.record_vitals(actor=nurse, appointment=arrived, phase="pre", systolic=900, diastolic=80, pulse=70)
    assert not arrived.vitals.exists()
    vitals = services.record_vitals(
        actor=nurse, appointment=arrived, phase="pre", systolic=128, diastolic=82, pulse=71, spo2=98
    )
    assert vitals.history.first().history_user == nurse


def test_an_expired_lot_is_refused(arrived, nurse):
    with pytest.raises(ChairSideInvalid, match="expired"):
        services.record_lot(
            actor=nurse, appointment=arrived, lot_number="A123", expires_on=TODAY - dt.timedelta(days=1)
        )
    assert (
        services.record_lot(actor=nurse, appointment=arrived, lot_number="A124", expires_on=TODAY).lot_number == "A124"
    )


def test_rates_are_recorded_while_in_the_chair(arrived, nurse):
    seated = transition(actor=nurse, appointment=arrived, action="seat")
    rate = services.record_rate(actor=nurse, appointment=seated, rate_ml_per_h=Decimal("100"))
    assert seated.rates_given.get() == rate


def test_weight_in_the_future_is_refused(patient, nurse):
    with pytest.raises(ChairSideInvalid):
        services.record_weight(actor=nurse, patient=patient, kg=Decimal("70"), measured_on=TODAY + dt.timedelta(days=5))


def test_vitals_fall_due_at_the_regimens_interval_during_the_infusion(arrived, nurse, pharmacist):
    Regimen.objects.filter(protocol=arrived.protocol).update(vitals_interval_minutes=15, is_prepared_by_pharmacy=False)
    expire_cached_protocols()  # a queryset update sends no signal
    seated = transition(actor=nurse, appointment=arrived, action="seat", now=NOW)
    assert selectors.vitals_due_at(seated, interval_minutes=15) == NOW  # before the infusion: now
    services.record_vitals(
        actor=nurse, appointment=seated, phase="pre", systolic=120, diastolic=80, pulse=70, taken_at=NOW
    )
    assert selectors.vitals_due_at(seated, interval_minutes=15) is None
    started = transition(actor=nurse, appointment=seated, action="start_infusion", now=NOW + dt.timedelta(minutes=10))
    assert selectors.vitals_due_at(started, interval_minutes=15) == NOW + dt.timedelta(minutes=25)
    services.record_vitals(
        actor=nurse, appointment=started, phase="during", systolic=118, diastolic=78, pulse=72,
        taken_at=NOW + dt.timedelta(minutes=27),
    )  # fmt: skip
    assert selectors.vitals_due_at(started, interval_minutes=15) == NOW + dt.timedelta(minutes=42)
