"""The day of one patient in real headless Chromium: the front desk checks them in and sees them in the
waiting room; a nurse seats them, starts the infusion and observation, and discharges them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from scheduling.models import Appointment, Protocol
from tests.e2e.htmx import loaded, when_ready
from tests.factories import AppointmentFactory, ChairFactory, PatientFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def todays_appointment(center, protocol):
    """An appointment that started a few minutes ago (real clock), on chair C07."""
    local_now = timezone.now().astimezone(center.tzinfo)
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(local_now - dt.timedelta(minutes=5), midnight).replace(second=0, microsecond=0)
    patient = PatientFactory(center=center, first_name="Ada", last_name="Lovelace", mrn="MRN181512")
    return AppointmentFactory(
        center=center, chair=ChairFactory(center=center, label="C07"), patient=patient, protocol=protocol, start=start
    )


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile("/accounts/login/"))


def test_front_desk_checks_in_and_nurse_takes_patient_through_the_chair(
    page, login, screenshot, center, front_desk, todays_appointment
):
    UserFactory(username="nora.nurse", role="nurse", center=center)
    pk = todays_appointment.pk

    login("frank.desk")
    page.get_by_role("link", name="Arrivals", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Arrivals today"))).to_be_visible()
    when_ready(page.get_by_label("Find a patient")).fill("MRN181512")
    page.wait_for_url(re.compile("q=MRN181512"))  # the search has swapped the list in
    row = page.locator(f"#appointment-{pk}")
    expect(row).to_contain_text("Lovelace, Ada")
    row.get_by_role("button", name="Check in: Ada Lovelace").click()
    expect(page.locator("#flow-messages")).to_contain_text("Ada Lovelace is checked in")
    expect(page.locator(f"#appointment-{pk} [data-status]")).to_have_text("Arrived")  # the list refreshed itself
    expect(row.get_by_role("button", name="Undo check-in: Ada Lovelace")).to_be_visible()

    page.get_by_role("link", name="Waiting room", exact=True).first.click()
    waiting = page.locator(f"#waiting-{pk}")
    expect(waiting).to_contain_text("Lovelace, Ada")
    expect(waiting).to_contain_text("0 min")
    expect(page.get_by_role("button", name="Seat in chair: Ada Lovelace")).to_have_count(0)  # seating is for nurses
    assert loaded(page).evaluate("flowScreenIsActive()") is True  # polling runs while the screen is in use
    screenshot("frontdesk-waiting-room")
    log_out(page)

    login("nora.nurse")
    page.goto("/waiting-room/")
    page.get_by_label("Chair for Ada Lovelace").select_option(label="C07 (booked)")
    page.get_by_role("button", name="Seat in chair: Ada Lovelace").click()
    expect(page.locator("#flow-messages")).to_contain_text("Ada Lovelace is seated in C07")
    expect(page.locator(f"#waiting-{pk}")).to_have_count(0)

    page.get_by_role("link", name="In chairs").first.click()
    chair_row = page.locator(f"#chair-row-{pk}")
    expect(chair_row.locator("[data-status]")).to_have_text("In chair")
    chair_row.get_by_role("button", name="Start infusion: Ada Lovelace").click()
    expect(chair_row.locator("[data-status]")).to_have_text("Infusing")
    chair_row.get_by_role("button", name="Start observation: Ada Lovelace").click()
    expect(chair_row.locator("[data-status]")).to_have_text("Observation")
    screenshot("frontdesk-in-chairs")
    chair_row.get_by_role("button", name="Discharge: Ada Lovelace").click()
    # Minutes after the start, long before the protocol's infusion and observation are over: a reason first.
    expect(page.locator("#flow-messages")).to_contain_text("give the reason to discharge early")
    page.get_by_label("Reason to discharge early").fill("Infusion reaction: infusion stopped")
    screenshot("frontdesk-early-discharge")
    page.get_by_role("button", name="Discharge early: Ada Lovelace").click()
    expect(page.locator("#flow-messages")).to_contain_text("Ada Lovelace is discharged")
    expect(page.locator(f"#chair-row-{pk}")).to_have_count(0)

    appointment = Appointment.objects.get(pk=pk)
    assert appointment.status == "fulfilled"
    stamps = [appointment.arrived_at, appointment.chair_start_at, appointment.infusion_start_at,
              appointment.observation_start_at, appointment.discharged_at]  # fmt: skip
    assert all(stamps) and stamps == sorted(stamps)
    assert {h.history_user.username for h in appointment.history.all() if h.history_user} == {
        "frank.desk",
        "nora.nurse",
    }


def test_front_desk_undoes_a_mistaken_check_in_and_cancels_with_a_reason(page, login, front_desk, todays_appointment):
    pk = todays_appointment.pk
    login("frank.desk")
    page.goto("/arrivals/")
    row = page.locator(f"#appointment-{pk}")
    row.get_by_role("button", name="Check in: Ada Lovelace").click()
    row.get_by_role("button", name="Undo check-in: Ada Lovelace").click()
    expect(page.locator("#flow-messages")).to_contain_text("Ada Lovelace's check-in was undone")
    expect(row.locator("[data-status]")).to_have_text("Booked")

    row.get_by_text("Cancel…").click()
    row.get_by_label("Patient cancelled").check()
    row.get_by_label("Reason").fill("Feeling unwell today")
    row.get_by_role("button", name="Cancel appointment").click()
    expect(page.locator("#flow-messages")).to_contain_text("Ada Lovelace's appointment is cancelled")
    expect(row).to_contain_text("Feeling unwell today")
    appointment = Appointment.objects.get(pk=pk)
    assert (appointment.status, appointment.cancelled_by, appointment.arrived_at) == ("cancelled", "patient", None)


def test_a_nurse_discharges_early_a_patient_whose_vitals_could_not_be_taken(page, login, screenshot, center):
    """A reaction twenty minutes into the infusion: the patient leaves for the emergency department
    before the protocol's time is over and before any post-observation vitals. Discharge asks for the
    reason to leave early, then for why there are no vitals, and keeps both."""
    from chairside.services import record_vitals
    from scheduling.protocol_library import seed_protocols
    from scheduling.services import transition
    from tests.treatment.conftest import make_order

    seed_protocols()
    nurse = UserFactory(username="nora.nurse", role="nurse", center=center)
    now = timezone.now()
    patient = PatientFactory(center=center, first_name="Ada", last_name="Lovelace", mrn="MRN181512")
    ocrelizumab = Protocol.objects.get(code="ocr")
    make_order(patient, ocrelizumab)
    booked = AppointmentFactory(
        center=center, chair=ChairFactory(center=center, label="C07"), patient=patient, protocol=ocrelizumab,
        dose_number=3, start=(now - dt.timedelta(minutes=50)).replace(second=0, microsecond=0),
    )  # fmt: skip
    step = lambda appointment, action, minutes_ago: transition(  # noqa: E731
        actor=nurse, appointment=appointment, action=action, now=now - dt.timedelta(minutes=minutes_ago)
    )
    seated = step(step(booked, "check_in", 55), "seat", 50)
    record_vitals(actor=nurse, appointment=seated, phase="pre", systolic=120, diastolic=80, pulse=70)
    step(step(seated, "start_infusion", 20), "start_observation", 5)

    login("nora.nurse")
    page.goto("/in-chairs/")
    page.get_by_role("button", name="Discharge: Ada Lovelace").click()
    page.get_by_label("Reason to discharge early").fill("Infusion reaction: to the emergency department")
    page.get_by_role("button", name="Discharge early: Ada Lovelace").click()
    messages = page.locator("#flow-messages")
    expect(messages).to_contain_text("Record the post-observation vital signs")
    expect(messages.get_by_role("link", name="Record the vital signs")).to_be_visible()
    page.get_by_label("Why the vital signs could not be taken").fill("Left by ambulance before vitals")
    screenshot("frontdesk-discharge-without-vitals")
    page.get_by_role("button", name="Discharge without vital signs: Ada Lovelace").click()
    expect(messages).to_contain_text("Ada Lovelace is discharged")
    expect(page.locator(f"#chair-row-{booked.pk}")).to_have_count(0)
    assert Appointment.objects.get(pk=booked.pk).history.first().history_change_reason == (
        "Infusion reaction: to the emergency department; "
        "No post-observation vital signs: Left by ambulance before vitals"
    )
