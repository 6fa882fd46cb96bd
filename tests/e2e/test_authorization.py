"""Browser: the access coordinator walks a prior authorization (stages, step therapy, a tentative hold shown
hatched on the board) and reads the order's time to treatment and the work queue's next actions."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.treatment.conftest import library, make_order, monday_in, order_requirement, staffed  # noqa: F401
from treatment.models import AuthorizationStatus, PriorAuthorization, StepTherapyRule

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_coordinator_records_stages_holds_a_first_dose_and_sees_it_on_the_board(
    page,
    login,
    screenshot,
    staffed,  # noqa: F811
    library,  # noqa: F811
    patient,
    front_desk,
):
    order = make_order(patient, library["ocr"], start=dt.date.today(), auth=AuthorizationStatus.PENDING)
    authorization = PriorAuthorization.objects.get(order=order)
    StepTherapyRule.objects.create(
        payer="Blue Cross", protocol=library["ocr"], name="A first-line injectable", therapies=["glatiramer acetate"]
    )
    login("frank.desk")
    page.goto(f"/treatment/authorizations/{authorization.pk}/")
    expect(page.locator("#next-action")).to_contain_text("Submit the request to the payer")
    expect(page.locator("#step-therapy")).to_have_text("Step therapy requirement not met.")
    page.locator("#id_stage-stage").select_option("submitted")
    page.get_by_role("button", name="Record stage").click()
    expect(page.get_by_text("Recorded: Submitted to the payer")).to_be_visible()
    expect(page.locator("#next-action")).to_contain_text("Payer's decision due")

    day = monday_in(2)
    page.locator("#id_hold-chair").select_option(value=str(staffed.test_chairs[0].pk))
    page.locator("#id_hold-day").fill(day.isoformat())
    page.locator("#id_hold-time").fill("09:00")
    page.get_by_role("button", name="Hold the first dose").click()
    expect(page.get_by_text("First dose held on")).to_be_visible()
    expect(page.locator("#holds")).to_contain_text("held")
    screenshot("authorization-workflow")

    page.goto(f"/board/?center={staffed.pk}&date={day.isoformat()}")
    tile = page.locator("a.board-appt.status-pending")
    expect(tile).to_have_count(1)
    expect(page.get_by_text("Tentative hold (authorization pending)")).to_be_visible()
    screenshot("board-tentative-hold")

    page.goto(f"/treatment/orders/{order.pk}/")
    expect(page.locator("#time-to-treatment")).to_contain_text("Authorization submitted")
    page.goto(f"/treatment/work-queue/?center={staffed.pk}")
    expect(page.locator("#authorization-tasks")).to_contain_text("Payer's decision due")
