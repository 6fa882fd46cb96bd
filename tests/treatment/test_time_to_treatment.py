"""Time to treatment per order (the order page, the API) and per payer and protocol (Insights), against a
fixture whose figures are worked out by hand below."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from insights.period import Period
from insights.treatment_delays import stage_delays, time_to_treatment
from tests.factories import AppointmentFactory
from tests.treatment.conftest import at, make_order
from treatment.authorization_selectors import time_to_treatment_of
from treatment.authorizations import record_stage
from treatment.models import AuthorizationStatus, PriorAuthorization

D = dt.date


def walk(order, steps):
    authorization = PriorAuthorization.objects.get(order=order)
    for stage, day, extra in steps:
        record_stage(actor=None, authorization=authorization, stage=stage, occurred_on=day, today=day, **extra)


APPROVE = {"approved_from": D(2026, 10, 1), "approved_until": D(2027, 9, 30)}


@pytest.fixture
def orders(patient, center, chair, library):
    """A (Aetna): order 1 Oct, submitted 3 Oct (+2), approved 24 Oct (+21), first dose 30 Oct (+6): 29 days.
    B (Aetna): order 5 Oct, submitted 9 Oct (+4), denied 30 Oct, appeal 5 Nov, approved 26 Nov (+48),
    first dose 1 Dec (+5): 57 days. C (Medicare): order 10 Oct, submitted 11 Oct (+1), approved 15 Oct (+4),
    no dose yet. Another protocol for each, so the orders are separate series."""
    from tests.factories import PatientFactory

    ocr = library["ocr"]
    a = make_order(patient, ocr, start=D(2026, 10, 1), auth=AuthorizationStatus.PENDING)
    walk(a, [("submitted", D(2026, 10, 3), {}), ("approved", D(2026, 10, 24), APPROVE)])
    second = PatientFactory(center=center)
    b = make_order(second, ocr, start=D(2026, 10, 5), auth=AuthorizationStatus.PENDING)
    walk(
        b,
        [
            ("submitted", D(2026, 10, 9), {}),
            ("denied", D(2026, 10, 30), {"denial_reason": "step_therapy_not_met"}),
            ("appeal_1", D(2026, 11, 5), {}),
            ("approved", D(2026, 11, 26), APPROVE),
        ],
    )
    third = PatientFactory(center=center)
    c = make_order(third, ocr, start=D(2026, 10, 10), auth=AuthorizationStatus.PENDING)
    PriorAuthorization.objects.filter(order=c).update(payer="Medicare")
    walk(c, [("submitted", D(2026, 10, 11), {}), ("approved", D(2026, 10, 15), APPROVE)])
    PriorAuthorization.objects.filter(order__in=[a, b]).update(payer="Aetna")
    for who, day in [(patient, D(2026, 10, 30)), (second, D(2026, 12, 1))]:
        start = at(day, 9)
        AppointmentFactory(
            center=center, chair=chair, patient=who, protocol=ocr, start=start, status="fulfilled", chair_start_at=start
        )
    return a, b, c


def test_per_order(orders):
    a, b, c = orders
    timeline = time_to_treatment_of(a)
    assert (timeline.to_submission, timeline.submission_to_approval, timeline.approval_to_first_dose) == (2, 21, 6)
    assert timeline.to_first_dose == 29
    timeline = time_to_treatment_of(b)
    assert (timeline.to_submission, timeline.submission_to_approval, timeline.approval_to_first_dose) == (4, 48, 5)
    assert timeline.to_first_dose == 57
    timeline = time_to_treatment_of(c)
    assert (timeline.to_submission, timeline.submission_to_approval, timeline.first_dose_on) == (1, 4, None)


def test_per_payer_and_protocol_in_insights(orders, center):
    period = Period(center=center, date_from=D(2026, 10, 1), date_to=D(2026, 10, 31), now=at(D(2026, 12, 2), 12))
    rows = {r["payer"]: r for r in stage_delays(period=period)}
    aetna, medicare = rows["Aetna"], rows["Medicare"]
    assert (aetna["orders"], aetna["submitted"], aetna["approved"], aetna["treated"]) == (2, 2, 2, 2)
    # Aetna: submission 2 and 4 days; approval 21 and 48; first dose 6 and 5; total 29 and 57 days.
    # Median = the mean of the two; p90 = low + 0.9 × (high − low) (percentile_cont interpolates).
    expected = {
        "median_to_submission": 3.0,
        "p90_to_submission": 3.8,
        "median_to_approval": 34.5,
        "p90_to_approval": 45.3,
        "median_to_first_dose": 5.5,
        "p90_to_first_dose": 5.9,
        "median_total": 43.0,
        "p90_total": 54.2,
    }
    assert {k: round(aetna[k], 6) for k in expected} == expected
    assert (aetna["denied"], aetna["overturned"]) == (1, 1)
    assert (medicare["median_to_submission"], medicare["median_to_approval"], medicare["median_total"]) == (1, 4, None)
    assert (medicare["denied"], medicare["overturned"]) == (0, 0)
    assert time_to_treatment(period=period)["stages"] == stage_delays(period=period)


def test_on_the_order_page_and_in_the_api(orders, front_desk_client):
    a, b, _ = orders
    page = front_desk_client.get(reverse("order_detail", args=[a.pk])).content.decode()
    assert '<td id="order-to-first-dose">29 days</td>' in page
    assert "21 after submission" in page and "6 after approval" in page
    body = front_desk_client.get(f"/api/v1/orders/{b.pk}/time-to-treatment/").json()
    assert body == {
        "order": b.pk,
        "ordered_on": "2026-10-05",
        "submitted_on": "2026-10-09",
        "approved_on": "2026-11-26",
        "first_dose_on": "2026-12-01",
        "days_to_submission": 4,
        "days_submission_to_approval": 48,
        "days_approval_to_first_dose": 5,
        "days_to_first_dose": 57,
    }
