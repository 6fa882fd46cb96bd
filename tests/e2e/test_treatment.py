"""Browser: book a lecanemab series from the patient page; the MRI needed before dose 3 shows before booking."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from scheduling.models import Appointment
from tests.treatment.conftest import library, make_order, order_requirement, staffed  # noqa: F401 fixtures
from treatment.models import PrerequisiteDocument


@pytest.mark.django_db(transaction=True)
def test_front_desk_books_a_lecanemab_series_and_sees_the_mri_before_dose_3(
    page,
    login,
    screenshot,
    staffed,  # noqa: F811
    library,  # noqa: F811
    patient,
    front_desk,  # noqa: F811
):
    # The baseline work-up a week before the series starts: dose 3 (about four weeks after dose 1) then
    # falls well outside the MRI's 30-day window whatever today's weekday is.
    today = dt.date.today()
    make_order(patient, library["lec"], start=today, doses=4)
    for kind in ("amyloid", "apoe4", "mri"):
        PrerequisiteDocument.objects.create(patient=patient, kind=kind, performed_on=today - dt.timedelta(days=7))

    login("frank.desk")
    page.goto(f"/patients/{patient.pk}/")
    expect(page.get_by_text("MRI within 30 days before doses 3, 5, 7, 14")).to_be_visible()
    page.get_by_role("link", name="Book series").click()

    rows = page.locator("#series-table tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("#dose-1")).to_contain_text("Ready")
    expect(page.locator("#dose-3")).to_contain_text("MRI needed before dose 3")
    expect(page.locator("#dose-4")).to_contain_text("Ready")
    screenshot("treatment-series-proposal")

    page.get_by_role("button", name="Book all 4 doses").click()
    expect(page.get_by_text("Booked 4 doses")).to_be_visible()
    expect(page.get_by_text("Dose 3: MRI needed before dose 3")).to_be_visible()
    assert sorted(Appointment.objects.filter(patient=patient).values_list("dose_number", flat=True)) == [1, 2, 3, 4]
    expect(page.locator(".treatment-summary")).to_contain_text("1 to do")
    screenshot("treatment-series-booked")
