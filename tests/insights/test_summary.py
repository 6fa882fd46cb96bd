"""Chairs available less chair blocks and breaks, and the stored day summary staying exact.

On top of the hand-computed Monday of conftest.py (C1, C2 chairs and the bed B1, open 07:00–19:00):

    break          12:00–13:00 (Mondays)
    block C1       10:30–11:00  (A was discharged at 10:20)
    block B1       10:40–10:50
    block C2       12:30–13:30  (overlaps the break: 12:30–13:00 is not taken off twice)

Chairs available per 15-minute slot (occupancy):
    10:30  (3 × 900 s − C1 900 s − B1 10:40–10:45 300 s) / 900 s = 1⅔
    10:45  (2700 − 900 − B1 10:45–10:50 300) / 900 = 1⅔       11:00  3
    12:00–12:45  0 (break)     13:00, 13:15  3 − C2 = 2     13:30  3
Utilization of chairs in the 30-minute slot 10:30: D used C2 10:30–10:40 = 600 s of
2 × 1800 − 1800 (C1) = 1800 s available → 33⅓ % (16⅔ % without the block).
"""

from __future__ import annotations

import datetime as dt

import pytest

from chairs.models import Chair, ChairBlock, Closure, OpeningHours
from insights import selectors
from insights.models import SlotFigure, SummarizedDay
from insights.period import Period
from scheduling.models import Appointment
from tests.factories import NurseShiftFactory
from tests.insights.conftest import MONDAY, NOW, at

pytestmark = pytest.mark.django_db

# The figures are the same whether Monday is stored (the clock on Tuesday) or live (the clock on Monday).
CLOCKS = pytest.mark.parametrize("now", [NOW, at(18)], ids=["stored", "live"])


@pytest.fixture
def blocked(center, monday):
    c1, c2, b1 = monday["chairs"]
    OpeningHours.objects.filter(center=center, weekday=0).update(break_starts=dt.time(12), break_ends=dt.time(13))
    ChairBlock.objects.create(chair=c1, start=at(10, 30), end=at(11), reason="Pump service")
    ChairBlock.objects.create(chair=b1, start=at(10, 40), end=at(10, 50), reason="Cleaning")
    ChairBlock.objects.create(chair=c2, start=at(12, 30), end=at(13, 30), reason="Recliner repair")
    return monday


def period(center, now) -> Period:
    return Period(center=center, date_from=MONDAY, date_to=MONDAY, now=now)


def occupancy_by_slot(center, now):
    return {r["slot"]: r for r in selectors.occupancy(period=period(center, now), day=MONDAY)}


@CLOCKS
def test_chairs_available_subtract_blocks_and_the_break(center, blocked, now):
    rows = occupancy_by_slot(center, now)
    available = {slot: rows[slot]["day_available"] for slot in rows}
    assert available[dt.time(10, 15)] == pytest.approx(3)
    assert available[dt.time(10, 30)] == pytest.approx(5 / 3)
    assert available[dt.time(10, 45)] == pytest.approx(5 / 3)
    assert available[dt.time(11)] == pytest.approx(3)
    assert [available[dt.time(12, m)] for m in (0, 15, 30, 45)] == [0, 0, 0, 0]
    assert available[dt.time(13)] == pytest.approx(2) and available[dt.time(13, 15)] == pytest.approx(2)
    assert available[dt.time(13, 30)] == pytest.approx(3)
    assert rows[dt.time(10, 30)]["day_actual"] == pytest.approx(10 / 15)  # D until 10:40, unchanged


@CLOCKS
def test_utilization_is_use_over_the_chairs_available(center, blocked, now):
    rows = selectors.utilization(period=period(center, now))
    cells = {(r["kind"], r["slot"]): r for r in rows}
    assert cells[("chair", dt.time(10, 30))]["actual"] == pytest.approx(100 / 3)
    assert cells[("chair", dt.time(9, 30))]["actual"] == pytest.approx(100)  # no block: as before
    assert cells[("chair", dt.time(12))]["scheduled"] is None  # closed for the break: nothing available
    assert cells[("chair", dt.time(12, 30))]["actual"] is None
    assert cells[("chair", dt.time(13))]["scheduled"] == 0  # F was cancelled; C1 was free
    assert cells[("bed", dt.time(10, 30))]["actual"] == 0  # C was discharged at 10:30
    # The day's average skips the break's two slots: 22 slots with chairs available.
    nine = cells[("chair", dt.time(9))]
    assert nine["day_actual"] == pytest.approx((1500 / 36 + 100 + 3000 / 36 + 100 / 3) / 22)


def test_a_day_is_stored_once_and_read_back_unchanged(center, blocked):
    first = selectors.utilization(period=period(center, NOW))
    assert SummarizedDay.objects.filter(center=center, day=MONDAY, step_minutes=30).exists()
    assert SlotFigure.objects.filter(center=center, day=MONDAY, step_minutes=30).count() == 24 * 2  # 2 kinds
    live = selectors.utilization(period=period(center, at(18)))  # Monday is today: computed live
    assert selectors.utilization(period=period(center, NOW)) == first == live


def test_a_stored_day_follows_every_change_it_was_computed_from(center, blocked):
    def chair_cell(slot):
        rows = selectors.utilization(period=period(center, NOW))
        return next(r for r in rows if r["kind"] == "chair" and r["slot"] == slot)

    assert chair_cell(dt.time(10, 30))["actual"] == pytest.approx(100 / 3)
    # A later discharge recorded after the day was stored (a bulk update: no model save, no signal).
    Appointment.objects.filter(pk=blocked["D"].pk).update(discharged_at=at(10, 55))
    assert chair_cell(dt.time(10, 30))["actual"] == pytest.approx(100 * 1500 / 1800)
    # The block is lifted.
    ChairBlock.objects.filter(chair=blocked["chairs"][0]).delete()
    assert chair_cell(dt.time(10, 30))["actual"] == pytest.approx(100 * 1500 / 3600)
    # A second nurse's shift changes the watch capacity of a stored day.
    before = occupancy_by_slot(center, NOW)[dt.time(9)]["day_watch_capacity"]
    NurseShiftFactory(center=center, start=at(8), end=at(16))
    assert occupancy_by_slot(center, NOW)[dt.time(9)]["day_watch_capacity"] == before + 2
    # Confirming a reminder touches none of the figures' columns: the day stays stored.
    Appointment.objects.filter(pk=blocked["A"].pk).update(confirmed_at=at(8))
    assert SummarizedDay.objects.filter(center=center, day=MONDAY).exists()
    # Nor does reordering the chairs on the board, or saving unchanged opening hours.
    Chair.objects.filter(pk=blocked["chairs"][0].pk).update(position=9)
    OpeningHours.objects.get(center=center, weekday=0).save()
    assert SummarizedDay.objects.filter(center=center, day=MONDAY).exists()
    # A closure added afterwards removes the day.
    Closure.objects.create(center=center, date=MONDAY, reason="Snow")
    assert selectors.utilization(period=period(center, NOW)) == []


def test_a_new_chair_changes_every_stored_day_of_its_center(center, blocked):
    from tests.factories import ChairFactory

    selectors.utilization(period=period(center, NOW))
    ChairFactory(center=center, label="C3")
    nine = next(
        r for r in selectors.utilization(period=period(center, NOW)) if r["kind"] == "chair" and r["slot"] == dt.time(9)
    )
    assert nine["scheduled"] == pytest.approx(100 * 2 / 3)  # A and B in two of three chairs


def test_the_nightly_task_stores_the_default_range_and_is_safe_to_run_twice(center, blocked):
    from insights.tasks import store_past_days

    assert store_past_days() == 2 * 27  # 15- and 30-minute slots (the center's own is 15): 27 past days each
    assert SummarizedDay.objects.filter(center=center, day=MONDAY, step_minutes=15).exists()
    assert SlotFigure.objects.filter(center=center, day=MONDAY, step_minutes=30).count() == 48
    assert store_past_days() == 0
