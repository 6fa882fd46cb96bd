"""A nurse in real headless Chromium documents an infusion reaction at the chair and sees the next
dose's changed requirement (longer observation, the pre-medication change, a booking now too short)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from regimens.models import PatientWeight
from scheduling.models import Protocol
from scheduling.protocol_library import seed_protocols
from tests.factories import AppointmentFactory, ChairFactory, PatientFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def infusing(center):
    """Efgartigimod dose 1 infusing now; dose 2 booked next week with the chair time of before."""
    seed_protocols()
    efg = Protocol.objects.get(code="efg")
    chair = ChairFactory(center=center, label="C01")
    patient = PatientFactory(center=center, first_name="Ann", last_name="Smith", mrn="MRN777001")
    PatientWeight.objects.create(patient=patient, kg=Decimal("70"), measured_on=timezone.localdate())
    now = timezone.now().replace(microsecond=0)
    today = AppointmentFactory(
        center=center, patient=patient, protocol=efg, chair=chair, dose_number=1, start=now - dt.timedelta(minutes=40),
        end=now + dt.timedelta(minutes=90), status="checked-in", chair_stage="infusing",
        chair_start_at=now - dt.timedelta(minutes=40), infusion_start_at=now - dt.timedelta(minutes=20),
    )  # fmt: skip
    start = now + dt.timedelta(days=7)
    following = AppointmentFactory(
        center=center, patient=patient, protocol=efg, chair=chair, dose_number=2, start=start,
        end=start + dt.timedelta(minutes=efg.chair_minutes(2, patient)),
    )  # fmt: skip
    return today, following


def test_nurse_documents_a_reaction_and_the_next_dose_needs_more(page, login, screenshot, nurse, infusing):
    today, following = infusing
    login("nina.nurse")
    page.goto(f"/chairside/doses/{today.pk}/")
    expect(page.get_by_text("700 mg (10 mg/kg)").first).to_be_visible()
    reaction = page.get_by_role("form", name="Infusion reaction")
    reaction.get_by_label("Grade").select_option(label="2 — moderate")
    reaction.get_by_label("Rash or hives").check()
    reaction.get_by_label("Itching").check()
    reaction.get_by_label("Action").select_option(label="Infusion paused, then resumed")
    reaction.get_by_label("Treatment given").fill("cetirizine 10 mg")
    reaction.get_by_label("Premedication change").fill("cetirizine 10 mg 30 min before")
    reaction.get_by_role("button", name="Record reaction").click()
    expect(page.get_by_text("Recorded.")).to_be_visible()
    expect(page.locator("#reactions-list")).to_contain_text("grade 2 (rash, itching), infusion paused, then resumed")
    screenshot("chairside-reaction")

    page.goto(f"/appointments/{following.pk}/")
    card = page.locator("#dose-card")
    expect(card).to_contain_text("Reaction at dose 1 (grade 2): observe 30 min longer.")
    expect(card).to_contain_text("Pre-medication changed after dose 1: cetirizine 10 mg 30 min before.")
    expect(card.locator("[data-short-by]")).to_contain_text("(30 more): move it to a longer slot")
    screenshot("chairside-next-dose")


def test_pharmacy_prepares_and_dispenses_from_the_queue(page, login, center, infusing):
    from tests.factories import UserFactory

    today, _ = infusing
    UserFactory(username="phil.pharmacy", role="pharmacy", center=center)
    login("phil.pharmacy")
    expect(page.get_by_role("heading", name="Pharmacy queue")).to_be_visible()  # the pharmacy's home
    row = page.locator(f"#prep-{today.pk}")
    expect(row).to_contain_text("700 mg (10 mg/kg)")
    row.get_by_role("button", name="Mark prepared").click()
    expect(page.locator(f"#prep-{today.pk} [data-status]")).to_have_text("Prepared")
    page.locator(f"#prep-{today.pk}").get_by_role("button", name="Dispense").click()
    expect(page.locator(f"#prep-{today.pk} [data-status]")).to_have_text("Dispensed")


def test_nurse_records_an_allergy(page, login, nurse, infusing):
    today, _ = infusing
    login("nina.nurse")
    page.goto(f"/chairside/patients/{today.patient_id}/")
    allergy = page.get_by_role("form", name="Record an allergy")
    allergy.get_by_label("Substance").fill("penicillin")
    allergy.get_by_label("Severity").select_option(label="Severe")
    allergy.get_by_role("button", name="Record allergy").click()
    expect(page.locator("#allergies")).to_contain_text("penicillin (severe)")


@pytest.fixture
def seated_with_premedication(center, nurse):
    """Eptinezumab dose 2 seated now, a pre-medication ordered 10 ± 10 minutes before the infusion."""
    from chairside.models import PremedicationOrder

    seed_protocols()
    ept = Protocol.objects.get(code="ept")
    chair = ChairFactory(center=center, label="C02")
    patient = PatientFactory(center=center, first_name="Bea", last_name="Jones", mrn="MRN777002")
    PremedicationOrder.objects.create(
        patient=patient, protocol=ept, drug="acetaminophen", dose="650 mg PO", minutes_before=10, window_minutes=10
    )
    now = timezone.now().replace(microsecond=0)
    return AppointmentFactory(
        center=center, patient=patient, protocol=ept, chair=chair, dose_number=2, start=now - dt.timedelta(minutes=15),
        status="checked-in", chair_stage="in_chair", arrived_at=now - dt.timedelta(minutes=20),
        chair_start_at=now - dt.timedelta(minutes=10),
    )  # fmt: skip


def test_infusion_starts_only_after_vitals_and_the_premedication_given(page, login, seated_with_premedication):
    appointment = seated_with_premedication
    login("nina.nurse")
    page.goto("/in-chairs/")
    page.get_by_role("button", name="Start infusion: Bea Jones").click()
    messages = page.locator("#flow-messages")
    expect(messages).to_contain_text("Record the pre-infusion vital signs before starting the infusion.")
    expect(messages).to_contain_text("Pre-medication acetaminophen 650 mg PO (0–20 min before the infusion)")

    page.goto(f"/chairside/doses/{appointment.pk}/")
    expect(page.locator(".start-blocker")).to_have_count(2)
    vitals = page.get_by_role("form", name="Vital signs")
    vitals.get_by_label("Phase").select_option(label="Before the infusion")
    vitals.get_by_label("Systolic").fill("126")
    vitals.get_by_label("Diastolic").fill("80")
    vitals.get_by_label("Pulse").fill("74")
    vitals.get_by_role("button", name="Record vitals").click()
    expect(page.get_by_text("Recorded.")).to_be_visible()
    given = page.get_by_role("form", name="Pre-medication given")
    given.get_by_label("Pre-medication order").select_option(label="acetaminophen 650 mg PO, 10 min before")
    given.get_by_role("button", name="Record pre-medication given").click()
    expect(page.locator("#premeds-given-list")).to_contain_text("acetaminophen 650 mg PO")
    expect(page.locator(".start-blocker")).to_have_count(0)

    page.goto("/in-chairs/")
    page.get_by_role("button", name="Start infusion: Bea Jones").click()
    expect(page.locator("#flow-messages")).to_contain_text("Bea Jones: infusion started")
    page.goto(f"/chairside/doses/{appointment.pk}/")
    expect(page.get_by_role("heading", name="Chair-side record")).to_contain_text("(infusing)")
    expect(page.locator("[data-vitals-due]")).to_contain_text("during vitals due")
