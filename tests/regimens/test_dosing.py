"""Dose amounts, weight, weight bands, rate ladders and the one duration function."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from chairside.models import InfusionReaction
from regimens.dosing import _read_patient_facts, chair_minutes, dose_plan
from regimens.models import PatientWeight, Regimen
from tests.factories import AppointmentFactory, ChairFactory, expire_cached_protocols
from tests.treatment.conftest import at

TODAY = dt.date(2026, 12, 1)
pytestmark = pytest.mark.django_db


def weigh(patient, kg, on=TODAY):
    return PatientWeight.objects.create(patient=patient, kg=Decimal(kg), measured_on=on)


def amounts(protocol, doses, patient=None):
    return [dose_plan(protocol=protocol, dose_number=n, patient=patient, on=TODAY).amount_label for n in doses]


def test_donanemab_titrates_350_700_1050_then_1400(library):
    assert amounts(library["don"], [1, 2, 3, 4, 5, 12]) == [
        "350 mg",
        "700 mg",
        "1050 mg",
        "1400 mg",
        "1400 mg",
        "1400 mg",
    ]


def test_eculizumab_900_weekly_four_times_then_1200(library):
    assert amounts(library["ecu"], [1, 2, 3, 4, 5, 6, 20]) == ["900 mg"] * 4 + ["1200 mg"] * 3


def test_ocrelizumab_two_half_doses_then_600_and_ublituximab_150_then_450(library):
    assert amounts(library["ocr"], [1, 2, 3, 4]) == ["300 mg", "300 mg", "600 mg", "600 mg"]
    assert amounts(library["ubl"], [1, 2, 3]) == ["150 mg", "450 mg", "450 mg"]


def test_efgartigimod_is_10_mg_per_kg_of_the_latest_weight(library, patient):
    weigh(patient, "60", on=TODAY - dt.timedelta(days=100))
    weigh(patient, "72.5")
    plan = dose_plan(protocol=library["efg"], dose_number=1, patient=patient, on=TODAY)
    assert plan.amount_mg == Decimal("725")
    assert plan.amount_label == "725 mg (10 mg/kg)"
    assert not plan.problems


def test_two_weights_on_one_day_the_later_recorded_counts(library, patient, center, nurse):
    """The facts are read in one plain statement: the latest weight by day, then by when it was recorded;
    a reaction to another protocol does not count."""
    first = weigh(patient, "60")
    weigh(patient, "80")
    PatientWeight.objects.filter(pk=first.pk).update(recorded_at=first.recorded_at + dt.timedelta(hours=1))
    given = AppointmentFactory(
        center=center, chair=ChairFactory(center=center), patient=patient, protocol=library["ocr"], dose_number=2,
        start=at(TODAY - dt.timedelta(days=150)), status="fulfilled",
    )  # fmt: skip
    InfusionReaction.objects.create(
        appointment=given, patient=patient, protocol=library["ocr"], onset_at=given.start, grade=3,
        symptoms=["dyspnea"], action="stopped", recorded_by=nurse,
    )  # fmt: skip
    facts = _read_patient_facts(patient, library["efg"])
    assert (facts.weight.pk, facts.weight.kg, facts.weight.measured_on) == (first.pk, Decimal("60.0"), TODAY)
    assert facts.reactions == () and facts.courses == ()
    assert [r.pk for r in _read_patient_facts(patient, library["ocr"]).reactions] == [
        r.pk for r in InfusionReaction.objects.filter(patient=patient)
    ]


def test_weight_based_dose_without_a_weight_says_so(library, patient):
    plan = dose_plan(protocol=library["efg"], dose_number=1, patient=patient, on=TODAY)
    assert plan.amount_mg is None
    assert "No weight recorded" in plan.problems[0]


def test_weight_goes_stale_after_the_regimens_days(library, patient):
    Regimen.objects.filter(protocol=library["efg"]).update(weight_valid_days=14)
    expire_cached_protocols()  # a queryset update sends no signal
    weigh(patient, "70", on=TODAY - dt.timedelta(days=14))
    assert not dose_plan(protocol=library["efg"], dose_number=1, patient=patient, on=TODAY).is_weight_stale
    plan = dose_plan(protocol=library["efg"], dose_number=1, patient=patient, on=TODAY + dt.timedelta(days=1))
    assert plan.is_weight_stale
    assert "stale" in plan.weight_label and "stale" in plan.problems[0]


@pytest.mark.parametrize(
    ("kg", "dose", "mg", "minutes"),
    [("45", 1, 2400, 45), ("75", 1, 2700, 35), ("120", 1, 3000, 25), ("45", 2, 3000, 55), ("99.9", 3, 3300, 40)],
)
def test_ravulizumab_dose_and_infusion_time_by_weight_band(library, patient, kg, dose, mg, minutes):
    weigh(patient, kg)
    rav = library["rav"]
    plan = dose_plan(protocol=rav, dose_number=dose, patient=patient, on=TODAY)
    assert (plan.amount_mg, plan.infusion_minutes, plan.infusion_source) == (mg, minutes, "weight band")
    # The planner books that length: set-up + infusion + observation.
    assert rav.chair_minutes(dose, patient) == rav.setup_minutes + rav.premedication_minutes + minutes + 60


def test_ublituximab_first_dose_ladder_is_four_hours_then_one_hour(library):
    first = dose_plan(protocol=library["ubl"], dose_number=1)
    assert first.infusion_minutes == 240 and first.infusion_source == "rate ladder"
    assert [(float(s.rate), s.minutes) for s in first.steps] == [(10, 30), (20, 30), (35, 60), (100, 120)]
    assert dose_plan(protocol=library["ubl"], dose_number=2).infusion_minutes == 60


def test_ivig_infusion_time_grows_with_weight_through_the_ladder(library, patient):
    ivig = library["ivig"]
    light, heavy = (
        patient,
        type(patient).objects.create(
            center=patient.center, mrn="HEAVY1", first_name="A", last_name="B", date_of_birth=dt.date(1970, 1, 1)
        ),
    )
    weigh(light, "50")
    weigh(heavy, "100")
    # 0.4 g/kg a day (2 g/kg over 5 days): 200 mL at 50 kg, 400 mL at 100 kg; rates in mL/kg/h scale too.
    light_plan = dose_plan(protocol=ivig, dose_number=1, patient=light, on=TODAY)
    assert light_plan.amount_label == "20 g (0.4 g/kg; 2 g/kg over 5 days)"
    assert (
        light_plan.infusion_minutes == dose_plan(protocol=ivig, dose_number=1, patient=heavy, on=TODAY).infusion_minutes
    )
    # Maintenance 1 g/kg: 500 mL at 50 kg: 30+60+90 mL in 90 min, then 320 mL at 240 mL/h = 80 min.
    assert dose_plan(protocol=ivig, dose_number=6, patient=light, on=TODAY).infusion_minutes == 170


def test_ocrelizumab_short_option_is_withdrawn_after_a_serious_reaction(library, patient, center, nurse):
    ocr = library["ocr"]
    Regimen.objects.filter(protocol=ocr).update(uses_short_option=True)
    expire_cached_protocols()  # a queryset update sends no signal
    ocr.refresh_from_db()
    assert dose_plan(protocol=ocr, dose_number=3, patient=patient).infusion_minutes == 120
    given = AppointmentFactory(
        center=center, chair=ChairFactory(center=center), patient=patient, protocol=ocr, dose_number=2,
        start=at(TODAY - dt.timedelta(days=150)), status="fulfilled",
    )  # fmt: skip
    InfusionReaction.objects.create(
        appointment=given, patient=patient, protocol=ocr, onset_at=given.start, grade=3, symptoms=["dyspnea"],
        action="stopped", recorded_by=nurse, premedication_change="add acetaminophen 650 mg",
    )  # fmt: skip
    plan = dose_plan(protocol=ocr, dose_number=3, patient=patient)
    assert plan.infusion_minutes == 210  # the standard ladder
    assert plan.observation_minutes == 60 + 30
    assert any("withdrawn" in need for need in plan.requirements)
    assert any("acetaminophen" in need for need in plan.requirements)
    assert chair_minutes(protocol=ocr, dose_number=3, patient=patient) == plan.chair_minutes


def test_a_reaction_does_not_change_the_dose_it_happened_at(library, patient, center, nurse):
    ocr = library["ocr"]
    given = AppointmentFactory(
        center=center, chair=ChairFactory(center=center), patient=patient, protocol=ocr, dose_number=3,
        start=at(TODAY), status="checked-in",
    )  # fmt: skip
    before = dose_plan(protocol=ocr, dose_number=3, patient=patient).chair_minutes
    InfusionReaction.objects.create(
        appointment=given, patient=patient, protocol=ocr, onset_at=given.start, grade=2, symptoms=["rash"],
        action="slowed", recorded_by=nurse,
    )  # fmt: skip
    assert dose_plan(protocol=ocr, dose_number=3, patient=patient).chair_minutes == before
    assert dose_plan(protocol=ocr, dose_number=4, patient=patient).chair_minutes == before + 30


@time_machine.travel(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC), tick=False)
def test_booking_and_slot_search_use_the_patients_chair_time(library, staffed, patient, nurse):
    from scheduling.services import book_appointment
    from scheduling.slot_search import find_candidates
    from tests.treatment.conftest import make_order

    rav = library["rav"]
    weigh(patient, "120", on=dt.date(2026, 11, 30))
    make_order(patient, rav, start=dt.date(2026, 11, 1))
    minutes = rav.chair_minutes(1, patient)
    assert minutes == 10 + 25 + 60
    day = dt.date(2026, 12, 7)
    found = find_candidates(center=staffed, protocol=rav, dose_number=1, date_from=day, date_to=day, patient=patient)
    assert found.candidates[0].end - found.candidates[0].start == dt.timedelta(minutes=minutes)
    appointment = book_appointment(
        actor=nurse, patient=patient, protocol=rav, chair=staffed.test_chairs[0], start=at(day, 9), dose_number=1
    )
    assert appointment.chair_minutes == minutes
