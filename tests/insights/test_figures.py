"""Every figure of the insights against the hand-computed Monday of conftest.py."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from insights import selectors
from insights.period import Period
from insights.treatment_delays import time_to_treatment
from tests.factories import CenterFactory, ChairFactory, PatientFactory
from tests.insights.conftest import MONDAY, NOW, at, visit
from treatment.models import Order, PriorAuthorization

pytestmark = pytest.mark.django_db


def period_of(center, date_from=MONDAY, date_to=MONDAY, now=NOW) -> Period:
    return Period(center=center, date_from=date_from, date_to=date_to, now=now)


def cell(rows, kind, slot, **match):
    return next(r for r in rows if r["kind"] == kind and r["slot"] == slot and all(r[k] == v for k, v in match.items()))


def test_utilization_per_slot_and_kind_scheduled_against_actual(center, monday):
    rows = selectors.utilization(period=period_of(center))
    nine = cell(rows, "chair", dt.time(9))
    assert nine["scheduled"] == pytest.approx(100)  # A and B fill both chairs
    assert nine["actual"] == pytest.approx(1500 / 3600 * 100)  # A from 09:10, D from 09:25
    assert cell(rows, "chair", dt.time(9, 30))["actual"] == pytest.approx(100)
    ten = cell(rows, "chair", dt.time(10))
    assert ten["scheduled"] == pytest.approx(50)
    assert ten["actual"] == pytest.approx(3000 / 3600 * 100)
    assert cell(rows, "chair", dt.time(10, 30))["actual"] == pytest.approx(600 / 3600 * 100)
    assert cell(rows, "chair", dt.time(11))["scheduled"] == 0  # E was cancelled
    assert cell(rows, "bed", dt.time(9, 30))["actual"] == pytest.approx(50)  # C from 09:45
    assert cell(rows, "bed", dt.time(10))["actual"] == pytest.approx(100)
    # The day's average over its 24 half-hour slots, and the peak.
    assert nine["day_scheduled"] == pytest.approx(250 / 24)
    assert nine["day_actual"] == pytest.approx((1500 / 36 + 100 + 3000 / 36 + 600 / 36) / 24)
    assert nine["peak_scheduled"] == pytest.approx(100)
    assert {r["weekday"] for r in rows} == {0} and len([r for r in rows if r["kind"] == "chair"]) == 24


def test_occupancy_of_the_day_against_chairs_and_watch_capacity(center, monday):
    rows = {r["slot"]: r for r in selectors.occupancy(period=period_of(center), day=MONDAY)}
    assert rows[dt.time(9)]["day_scheduled"] == pytest.approx(2)  # A and B
    assert rows[dt.time(9)]["day_actual"] == pytest.approx(5 / 15)  # A from 09:10
    assert rows[dt.time(9, 45)]["day_actual"] == pytest.approx(3)  # A, D and C
    assert rows[dt.time(10, 30)]["day_actual"] == pytest.approx(10 / 15)  # D until 10:40
    assert rows[dt.time(9)]["chairs"] == 3
    assert rows[dt.time(9)]["day_watch_capacity"] == pytest.approx(2)  # one nurse × 2
    assert rows[dt.time(9)]["avg_actual"] == pytest.approx(rows[dt.time(9)]["day_actual"])  # one Monday in range
    assert len(rows) == 48


def test_nurse_load_counts_windows_and_slots_over_capacity(center, monday):
    load = selectors.nurse_load(period=period_of(center))
    windows = {r["at"]: r for r in load["windows"]}
    assert windows[dt.time(9)]["actual"] == 2  # A 09:20 and D 09:28
    assert windows[dt.time(9)]["scheduled"] == 1  # A (B was a no-show)
    assert windows[dt.time(9, 30)]["scheduled"] == 2  # D and C
    assert windows[dt.time(9)]["capacity"] == 1
    assert sum(r["over"] for r in load["windows"]) == 1
    slots = {r["at"]: r for r in load["slots"]}
    assert slots[dt.time(9, 15)]["actual"] == 2  # A, D
    assert slots[dt.time(9, 45)]["actual"] == 3  # A, D, C
    assert slots[dt.time(10, 30)]["actual"] == 1  # D
    assert sum(r["over"] for r in load["slots"]) == 3  # 09:45, 10:00, 10:15 have three for two


def test_waits_on_time_starts_and_drift(center, monday):
    data = selectors.waits(period=period_of(center))
    overall = data["overall"][0]
    assert overall["seen"] == 3
    assert overall["median_wait"] == pytest.approx(5)  # waits 15, 5, 5
    assert overall["p90_wait"] == pytest.approx(13)  # 5 + 0.8 × 10
    assert overall["on_time_percent"] == pytest.approx(200 / 3)  # C was seated 15 min after its start
    assert [(r["hour"], r["seen"]) for r in data["by_hour"]] == [(9, 3)]
    assert [(r["code"], r["seen"]) for r in data["by_protocol"]] == [("ocr", 3)]
    assert {r["bin"]: r["n"] for r in data["histogram"]} == {0: 2, 1: 1}
    drift = data["drift"][0]
    assert (drift["hour"], drift["finished"]) == (10, 3)
    assert drift["median_drift"] == pytest.approx(10)  # +20, 0, +10
    assert drift["mean_drift"] == pytest.approx(10)


def test_noshows_and_late_cancellations_by_every_breakdown(center, monday):
    rows = selectors.noshows(period=period_of(center))
    total = next(r for r in rows if r["part"] == "all")
    assert (total["due"], total["noshows"], total["late_cancellations"]) == (5, 1, 1)  # F was cancelled early
    assert total["noshow_rate"] == pytest.approx(20)
    assert total["late_cancel_rate"] == pytest.approx(20)
    outcomes = {r["outcome"]: r["due"] for r in rows if r["part"] == "outcome"}
    assert outcomes == {"confirmed": 1, "no reply": 1, "cancelled": 1, "no reminder sent": 2}
    assert [r["weekday"] for r in rows if r["part"] == "weekday"] == [0]
    leads = {r["lead_bucket"]: r["due"] for r in rows if r["part"] == "lead"}
    assert leads == {1: 5}  # all booked six days ahead: "2–7 days"


def test_noshows_count_only_appointments_that_have_started(center, monday):
    rows = selectors.noshows(period=period_of(center, now=at(9, 15)))
    total = next(r for r in rows if r["part"] == "all")
    assert total["due"] == 2  # A and B had started by 09:15


def test_chair_minutes_percentiles_per_protocol_and_dose_group(center, monday):
    (row,) = selectors.chair_minutes(period=period_of(center))
    assert (row["code"], row["is_first"], row["visits"]) == ("ocr", False, 3)
    assert row["median_booked"] == pytest.approx(60)
    assert row["p10"] == pytest.approx(50)  # actual 45, 70, 75
    assert row["median"] == pytest.approx(70)
    assert row["p80"] == pytest.approx(73)
    assert row["p90"] == pytest.approx(74)
    assert row["median_difference"] == pytest.approx(10)
    assert row["current_minutes"] == 10 + 30 + 210 + 60
    assert row["is_flagged"] is False  # three visits are too few to flag


def test_chair_minutes_flags_a_booked_length_consistently_wrong(center, protocol):
    chair = ChairFactory(center=center)
    for day in range(7, 12):  # five visits, each 20 minutes longer than booked
        date = dt.date(2026, 11, day + 23) if day + 23 <= 30 else dt.date(2026, 12, day + 23 - 30)
        visit(
            center=center,
            chair=chair,
            protocol=protocol,
            start=at(9, day=date),
            end=at(10, day=date),
            arrived=at(9, day=date),
            seated=at(9, day=date),
            discharged=at(10, 20, day=date),
        )
    (row,) = selectors.chair_minutes(
        period=period_of(center, date_from=dt.date(2026, 11, 30), date_to=dt.date(2026, 12, 4))
    )
    assert row["visits"] == 5 and row["median_difference"] == pytest.approx(20)
    assert row["is_flagged"] is True


def test_time_to_treatment_from_order_and_authorization_history(center, monday):
    patient = monday["A"].patient
    order = Order.objects.create(
        patient=patient, protocol=monday["A"].protocol, ordering_provider="Dr. X", start_date=dt.date(2026, 11, 20)
    )
    authorization = PriorAuthorization.objects.create(patient=patient, order=order, payer="Aetna", status="pending")
    authorization.status, authorization.approved_from, authorization.approved_until = (
        "approved",
        dt.date(2026, 11, 20),
        dt.date(2027, 11, 20),
    )
    authorization.save()
    requested = at(10, day=dt.date(2026, 11, 21))
    PriorAuthorization.objects.filter(pk=authorization.pk).update(created_at=requested)
    history = list(PriorAuthorization.history.model.objects.filter(id=authorization.pk).order_by("history_id"))
    PriorAuthorization.history.model.objects.filter(history_id=history[0].history_id).update(history_date=requested)
    PriorAuthorization.history.model.objects.filter(history_id=history[1].history_id).update(
        history_date=at(16, day=dt.date(2026, 11, 30))
    )
    Order.objects.create(
        patient=PatientFactory(center=center),
        protocol=order.protocol,
        ordering_provider="Dr. Y",
        start_date=dt.date(2026, 11, 25),
    )

    data = time_to_treatment(period=period_of(center, date_from=dt.date(2026, 11, 16), date_to=MONDAY))
    by_payer = {r["payer"]: r for r in data["orders"] if not r["is_protocol_total"]}
    assert by_payer["Aetna"]["median_days"] == pytest.approx(17)  # 20 Nov → 7 Dec
    assert (by_payer["No authorization"]["orders"], by_payer["No authorization"]["treated"]) == (1, 0)
    total = next(r for r in data["orders"] if r["is_protocol_total"])
    assert (total["orders"], total["treated"]) == (2, 1)
    (auth,) = data["authorizations"]
    assert (auth["payer"], auth["requests"], auth["approved"]) == ("Aetna", 1, 1)
    assert auth["median_days"] == pytest.approx(9)  # 21 Nov → 30 Nov


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("America/New_York", dt.date(2026, 11, 1)),  # clocks went back that morning
        ("America/New_York", dt.date(2026, 3, 8)),  # clocks went forward that morning
        ("Europe/Berlin", dt.date(2026, 10, 25)),  # another zone, its own change day
        ("Asia/Kolkata", dt.date(2026, 12, 6)),  # no daylight saving, +05:30
    ],
)
def test_slots_follow_the_centers_local_clock_on_daylight_saving_days(zone, day, protocol):
    tz = zoneinfo.ZoneInfo(zone)
    center = CenterFactory(timezone=zone, weekday_hours=False)
    center.opening_hours.create(weekday=day.weekday(), opens=dt.time(7), closes=dt.time(19))
    chair = ChairFactory(center=center)
    visit(
        center=center,
        chair=chair,
        protocol=protocol,
        start=at(9, day=day, tz=tz),
        end=at(10, day=day, tz=tz),
        arrived=at(8, 50, day=day, tz=tz),
        seated=at(9, day=day, tz=tz),
        infusing=at(9, 15, day=day, tz=tz),
        discharged=at(10, day=day, tz=tz),
    )
    period = period_of(center, date_from=day, date_to=day, now=NOW)
    rows = selectors.utilization(period=period)
    assert [r["slot"] for r in rows if r["scheduled"]] == [dt.time(9), dt.time(9, 30)]
    assert [r["slot"] for r in rows if r["actual"]] == [dt.time(9), dt.time(9, 30)]
    assert len(rows) == 24  # 07:00–19:00 in half hours, whatever the day's length
    waits = selectors.waits(period=period)
    assert [r["hour"] for r in waits["by_hour"]] == [9]
    assert waits["overall"][0]["median_wait"] == pytest.approx(10)
    windows = {r["at"]: r for r in selectors.nurse_load(period=period)["windows"]}
    assert windows[dt.time(9)]["actual"] == 1  # infusion at 09:15 local
    # The stored day (the clock after it) and the live day (the clock on it) agree, slot for slot.
    live = period_of(center, date_from=day, date_to=day, now=at(20, day=day, tz=tz))
    assert selectors.utilization(period=live) == rows
    occupancy = selectors.occupancy(period=period, day=day)
    assert selectors.occupancy(period=live, day=day) == occupancy
    assert len(occupancy) == 48  # 15-minute slots from 07:00 to 19:00 local
    in_use = {r["slot"]: r["day_actual"] for r in occupancy if r["day_actual"]}
    assert list(in_use) == [dt.time(9, m) for m in (0, 15, 30, 45)]


def test_chair_minutes_current_length_follows_the_observation_of_first_doses_only(center, monday, protocol):
    # Observation after the first dose only: later doses are booked without it.
    type(protocol).objects.filter(pk=protocol.pk).update(observation_dose_count=1, later_observation_minutes=15)
    protocol.refresh_from_db()
    (row,) = selectors.chair_minutes(period=period_of(center))
    assert row["current_minutes"] == protocol.chair_minutes(protocol.initial_dose_count + 1) == 10 + 30 + 210 + 15


def test_the_noshow_view_counts_doses_prepared_for_nobody(center, monday):
    from chairside.models import DosePreparation, PreparationStatus
    from insights.reports import noshows_report

    DosePreparation.objects.create(appointment=monday["B"], status=PreparationStatus.WASTED, wasted_at=at(9, 40))
    DosePreparation.objects.create(appointment=monday["E"], status=PreparationStatus.WASTED, wasted_at=at(9, 5))
    DosePreparation.objects.create(appointment=monday["A"], status=PreparationStatus.DISPENSED)
    report = noshows_report(period_of(center), {})
    assert ("Doses wasted", "2 (1 prepared for a no-show)") in report.summary
    table = next(t for t in report.tables if t.title == "Doses wasted")
    assert table.rows == [[2, 1]]
