"""One test (or a few) per planner rule, ranking criterion and daylight-saving case."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling import planner
from tests.scheduling.planner_builders import all_day_shifts, chairs, local, request, rules

MONDAY = dt.date(2026, 12, 7)
TUESDAY = MONDAY + dt.timedelta(days=1)
SATURDAY = dt.date(2026, 12, 12)


def pin(*, day=MONDAY, chair_count=2, nurses=2, booked=(), blocks=(), extra_chairs=(), **rule_overrides):
    return planner.PlannerInput(
        rules=rules(**rule_overrides),
        chairs=chairs(chair_count) + tuple(extra_chairs),
        booked=tuple(booked),
        blocks=tuple(blocks),
        shifts=all_day_shifts(day, nurses) + all_day_shifts(day + dt.timedelta(days=1), nurses),
    )


def codes(refusals) -> set[str]:
    return {r.code for r in refusals}


def day_codes(result, day=MONDAY) -> set[str]:
    return {r.code for report in result.days if report.day == day for r in report.reasons}


# --- Hours ---------------------------------------------------------------------------------


def test_weekend_without_hours_is_closed():
    result = planner.find_slots(pin(), request(SATURDAY, 60))
    assert not result.candidates
    assert day_codes(result, SATURDAY) == {"closed"}


def test_closure_closes_the_day():
    result = planner.find_slots(pin(closures=frozenset({MONDAY})), request(MONDAY, 60))
    assert not result.candidates
    assert day_codes(result) == {"closed"}


def test_chair_time_longer_than_the_day():
    result = planner.find_slots(pin(), request(MONDAY, 9 * 60 + 15))
    assert day_codes(result) == {"too_long_for_day"}


def test_whole_chair_time_ends_by_closing():
    result = planner.find_slots(pin(), request(MONDAY, 240, limit=100))
    assert result.candidates
    assert max(c.end for c in result.candidates) <= local(MONDAY, "17:00")
    assert max(c.start for c in result.candidates) == local(MONDAY, "13:00")


def test_a_nine_hour_chair_time_fits_exactly_once():
    result = planner.find_slots(pin(), request(MONDAY, 9 * 60, limit=100))
    assert {c.start for c in result.candidates} == {local(MONDAY, "08:00")}


def test_check_placement_outside_hours_and_off_grid():
    p = pin()
    assert "outside_hours" in codes(
        planner.check_placement(p, chair_id=1, start=local(MONDAY, "16:00"), chair_minutes=90)
    )
    assert "outside_hours" in codes(
        planner.check_placement(p, chair_id=1, start=local(MONDAY, "07:45"), chair_minutes=30)
    )
    assert "off_grid" in codes(planner.check_placement(p, chair_id=1, start=local(MONDAY, "09:07"), chair_minutes=30))
    assert planner.check_placement(p, chair_id=1, start=local(MONDAY, "09:15"), chair_minutes=30) == []
    assert codes(planner.check_placement(p, chair_id=1, start=local(SATURDAY, "09:00"), chair_minutes=30)) == {"closed"}


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        planner.check_placement(pin(), chair_id=1, start=dt.datetime(2026, 12, 7, 9), chair_minutes=30)


# --- Chairs ---------------------------------------------------------------------------------


def test_required_kind_and_features():
    bed = planner.ChairInfo(id=10, label="B10", kind="bed", features=frozenset({"pump"}))
    p = pin(extra_chairs=[bed])
    found = planner.find_slots(p, request(MONDAY, 60, required_kind="bed", limit=100))
    assert {c.chair_id for c in found.candidates} == {10}
    none = planner.find_slots(p, request(MONDAY, 60, required_kind="bed", required_features=frozenset({"isolation"})))
    assert day_codes(none) == {"no_chair_with_features"}
    assert "chair_lacks_features" in codes(
        planner.check_placement(p, chair_id=1, start=local(MONDAY, "09:00"), chair_minutes=60, required_kind="bed")
    )


def test_inactive_and_unknown_chairs_are_refused():
    inactive = planner.ChairInfo(id=9, label="C09", is_active=False)
    p = pin(extra_chairs=[inactive])
    for chair_id in (9, 999):
        refusals = planner.check_placement(p, chair_id=chair_id, start=local(MONDAY, "09:00"), chair_minutes=60)
        assert "chair_inactive_or_unknown" in codes(refusals)
    found = planner.find_slots(p, request(MONDAY, 60, limit=100))
    assert 9 not in {c.chair_id for c in found.candidates}


def test_booked_chair_is_taken_but_ranges_are_half_open():
    booked = [planner.BookedSlot(id=1, chair_id=1, start=local(MONDAY, "09:00"), end=local(MONDAY, "10:00"))]
    p = pin(chair_count=1, booked=booked)
    taken = planner.check_placement(p, chair_id=1, start=local(MONDAY, "09:30"), chair_minutes=60)
    assert codes(taken) == {"chair_taken"}
    assert planner.check_placement(p, chair_id=1, start=local(MONDAY, "10:00"), chair_minutes=60) == []
    assert planner.check_placement(p, chair_id=1, start=local(MONDAY, "08:00"), chair_minutes=60) == []
    starts = {c.start for c in planner.find_slots(p, request(MONDAY, 60, limit=100)).candidates}
    assert local(MONDAY, "08:15") not in starts and local(MONDAY, "09:45") not in starts
    assert local(MONDAY, "08:00") in starts and local(MONDAY, "10:00") in starts


def test_moved_appointment_does_not_block_itself():
    booked = [planner.BookedSlot(id=7, chair_id=1, start=local(MONDAY, "09:00"), end=local(MONDAY, "11:00"))]
    p = pin(chair_count=1, booked=booked)
    start = local(MONDAY, "09:30")
    assert codes(planner.check_placement(p, chair_id=1, start=start, chair_minutes=120)) == {"chair_taken"}
    assert planner.check_placement(p, chair_id=1, start=start, chair_minutes=120, exclude_appointment_id=7) == []
    found = planner.find_slots(p, request(MONDAY, 120, exclude_appointment_id=7, limit=100))
    assert start in {c.start for c in found.candidates}


def test_chair_block():
    blocks = [planner.BlockedTime(chair_id=1, start=local(MONDAY, "12:00"), end=local(MONDAY, "14:00"), reason="pump")]
    p = pin(chair_count=1, blocks=blocks)
    assert codes(planner.check_placement(p, chair_id=1, start=local(MONDAY, "11:00"), chair_minutes=90)) == {
        "chair_blocked"
    }
    found = planner.find_slots(p, request(MONDAY, 60, limit=100))
    assert all(c.end <= local(MONDAY, "12:00") or c.start >= local(MONDAY, "14:00") for c in found.candidates)


def test_all_chairs_full_is_explained():
    booked = [
        planner.BookedSlot(id=i, chair_id=i, start=local(MONDAY, "08:00"), end=local(MONDAY, "17:00")) for i in (1, 2)
    ]
    result = planner.find_slots(pin(booked=booked, nurses=3), request(MONDAY, 60))
    assert not result.candidates
    assert "chairs_full" in day_codes(result)


# --- Nurses ---------------------------------------------------------------------------------


def test_watch_capacity():
    # One nurse may watch two; two patients sit 09:00–12:00 on other chairs.
    booked = [
        planner.BookedSlot(id=i, chair_id=i, start=local(MONDAY, "09:00"), end=local(MONDAY, "12:00")) for i in (1, 2)
    ]
    p = pin(chair_count=3, nurses=1, booked=booked, patients_per_nurse=2, starts_per_nurse_per_window=5)
    refusals = planner.check_placement(p, chair_id=3, start=local(MONDAY, "11:30"), chair_minutes=60)
    assert codes(refusals) == {"nurse_watch_full"}
    assert planner.check_placement(p, chair_id=3, start=local(MONDAY, "12:00"), chair_minutes=60) == []
    found = planner.find_slots(p, request(MONDAY, 60, limit=100))
    assert all(c.end <= local(MONDAY, "09:00") or c.start >= local(MONDAY, "12:00") for c in found.candidates)


def test_start_capacity_per_window():
    booked = [
        planner.BookedSlot(id=i, chair_id=i, start=local(MONDAY, "08:00"), end=local(MONDAY, "09:00")) for i in (1, 2)
    ]
    p = pin(chair_count=4, nurses=1, booked=booked, patients_per_nurse=10, starts_per_nurse_per_window=2)
    assert codes(planner.check_placement(p, chair_id=3, start=local(MONDAY, "08:15"), chair_minutes=60)) == {
        "nurse_start_full"
    }
    assert planner.check_placement(p, chair_id=3, start=local(MONDAY, "08:30"), chair_minutes=60) == []


def test_start_capacity_counts_nurses_on_shift_for_the_whole_window():
    # The second nurse arrives at 08:15, so the 08:00–08:30 window has one nurse: two starts.
    shifts = (
        planner.Shift(1, local(MONDAY, "07:00"), local(MONDAY, "17:00")),
        planner.Shift(2, local(MONDAY, "08:15"), local(MONDAY, "17:00")),
    )
    booked = tuple(
        planner.BookedSlot(id=i, chair_id=i, start=local(MONDAY, "08:00"), end=local(MONDAY, "09:00")) for i in (1, 2)
    )
    p = planner.PlannerInput(rules(), chairs(4), booked, (), shifts)
    assert codes(planner.check_placement(p, chair_id=3, start=local(MONDAY, "08:15"), chair_minutes=60)) == {
        "nurse_start_full"
    }
    loads = {load.start: load for load in planner.day_load(p, MONDAY)}
    assert loads[local(MONDAY, "08:00")].start_capacity == 2
    assert loads[local(MONDAY, "08:30")].start_capacity == 4


def test_no_nurse_on_shift():
    shifts = (planner.Shift(1, local(MONDAY, "08:00"), local(MONDAY, "12:00")),)
    p = planner.PlannerInput(rules(), chairs(2), (), (), shifts)
    assert "no_nurse_on_shift" in codes(
        planner.check_placement(p, chair_id=1, start=local(MONDAY, "11:00"), chair_minutes=120)
    )
    found = planner.find_slots(p, request(MONDAY, 120, limit=100))
    assert max(c.end for c in found.candidates) <= local(MONDAY, "12:00")
    nobody = planner.PlannerInput(rules(), chairs(2), (), (), ())
    result = planner.find_slots(nobody, request(MONDAY, 60))
    assert "no_nurse_on_shift" in day_codes(result)


def test_every_reason_of_a_full_day_is_listed():
    # One chair, one nurse watching at most one patient: the morning is booked,
    # so later starts meet both a full chair and full watch capacity.
    booked = [planner.BookedSlot(id=1, chair_id=1, start=local(MONDAY, "08:00"), end=local(MONDAY, "17:00"))]
    p = pin(chair_count=1, nurses=1, booked=booked, patients_per_nurse=1)
    result = planner.find_slots(p, request(MONDAY, 60))
    reasons = {r.code: r.message for report in result.days for r in report.reasons}
    assert {"chairs_full", "nurse_watch_full"} <= set(reasons)
    assert "of 33 start times" in reasons["chairs_full"]


def test_not_before():
    p = pin()
    found = planner.find_slots(p, request(MONDAY, 60, not_before=local(MONDAY, "13:05"), limit=100))
    assert min(c.start for c in found.candidates) == local(MONDAY, "13:15")
    late = planner.find_slots(p, request(MONDAY, 60, not_before=local(MONDAY, "16:30")))
    assert not late.candidates
    assert "before_not_before" in day_codes(late)


# --- Ranking --------------------------------------------------------------------------------


def test_earliest_day_first_and_limit():
    result = planner.find_slots(pin(), request(MONDAY, 60, date_to=TUESDAY, limit=5))
    assert len(result.candidates) == 5
    assert all(c.start.date() == MONDAY for c in result.candidates)


def test_preferred_weekdays_come_first():
    result = planner.find_slots(pin(), request(MONDAY, 60, date_to=TUESDAY, preferred_weekdays=frozenset({1})))
    assert result.candidates[0].start.astimezone(local(MONDAY, "00:00").tzinfo).date() == TUESDAY
    assert "preferred weekday" in result.candidates[0].reason


@pytest.mark.parametrize(("preference", "morning"), [("morning", True), ("afternoon", False)])
def test_time_of_day_preference(preference, morning):
    result = planner.find_slots(pin(), request(MONDAY, 60, preferred_time_of_day=preference, limit=5))
    for candidate in result.candidates:
        assert (candidate.start < local(MONDAY, "12:00")) is morning


def test_starts_avoid_filling_a_window_to_its_cap():
    # The 08:00 window already has one start of two (one nurse): a second would fill it to the cap.
    booked = [planner.BookedSlot(id=1, chair_id=1, start=local(MONDAY, "08:00"), end=local(MONDAY, "08:45"))]
    p = pin(chair_count=3, nurses=1, booked=booked, patients_per_nurse=10)
    best = planner.find_slots(p, request(MONDAY, 60, limit=1)).candidates[0]
    assert best.start >= local(MONDAY, "08:30")


def test_a_start_a_chair_waiting_in_its_window_needs_goes_to_that_chair():
    # One nurse, one start per 15-minute window. Chair 1 comes free at 10:00 and waits for the 10:00
    # start; chair 2 is free 08:00-12:00 (blocked after). Best fit alone puts a two-hour infusion at
    # 10:00-12:00 on chair 2 (the tighter stretch), taking the one 10:00 start: chair 1 then idles.
    booked = [planner.BookedSlot(id=1, chair_id=1, start=local(MONDAY, "08:00"), end=local(MONDAY, "10:00"))]
    blocks = [planner.BlockedTime(chair_id=2, start=local(MONDAY, "12:00"), end=local(MONDAY, "17:00"))]
    p = pin(
        chair_count=2,
        nurses=1,
        booked=booked,
        blocks=blocks,
        patients_per_nurse=10,
        starts_per_nurse_per_window=1,
        start_window_minutes=15,
        min_useful_gap_minutes=60,
    )
    best = planner.find_slots(p, request(MONDAY, 120, limit=1)).candidates[0]
    assert (best.chair_id, best.start) == (1, local(MONDAY, "10:00"))


def test_prefers_snug_chairs():
    # At 09:30 chair 1 (busy until 09:00) would leave 09:00-09:30 free; chair 2 is busy until 09:30 exactly.
    booked = [
        planner.BookedSlot(id=1, chair_id=1, start=local(MONDAY, "08:00"), end=local(MONDAY, "09:00")),
        planner.BookedSlot(id=2, chair_id=2, start=local(MONDAY, "08:00"), end=local(MONDAY, "09:30")),
    ]
    p = pin(chair_count=3, booked=booked, nurses=3)
    result = planner.find_slots(p, request(MONDAY, 60, limit=100))
    at_930 = next(c for c in result.candidates if c.start == local(MONDAY, "09:30"))
    assert at_930.chair_id == 2
    assert "snugly" in at_930.reason


def test_best_fit_takes_the_tightest_free_stretch():
    # Chair 1 is free all day, chair 2 only until 11:00: the short infusion goes there, keeping chair 1 whole.
    booked = [planner.BookedSlot(id=1, chair_id=2, start=local(MONDAY, "11:00"), end=local(MONDAY, "17:00"))]
    top = planner.find_slots(pin(booked=booked), request(MONDAY, 60)).candidates[0]
    assert top.chair_id == 2


def test_beds_are_kept_for_protocols_that_need_them():
    bed = planner.ChairInfo(id=10, label="A-bed", kind="bed")
    p = pin(chair_count=1, extra_chairs=[bed])
    result = planner.find_slots(p, request(MONDAY, 60, limit=100))
    first_per_start = {c.start: c.chair_id for c in result.candidates}
    assert first_per_start[local(MONDAY, "08:00")] == 1


def test_long_infusions_rank_early():
    result = planner.find_slots(pin(nurses=4), request(MONDAY, 300, limit=3))
    assert result.candidates[0].start == local(MONDAY, "08:00")


def test_results_are_deterministic():
    p = pin(chair_count=6, nurses=2)
    req = request(MONDAY, 95, date_to=TUESDAY, limit=20)
    assert planner.find_slots(p, req) == planner.find_slots(p, req)


def test_request_validation():
    with pytest.raises(ValueError):
        request(MONDAY, 0)
    with pytest.raises(ValueError):
        request(MONDAY, 60, date_to=MONDAY - dt.timedelta(days=1))
    with pytest.raises(ValueError):
        request(MONDAY, 60, limit=0)
    with pytest.raises(ValueError):
        request(MONDAY, 60, preferred_time_of_day="evening")


# --- Daylight saving (America/New_York: 2026-03-08 spring forward, 2026-11-01 fall back) ---


SPRING = dt.date(2026, 3, 8)
FALL = dt.date(2026, 11, 1)
SUNDAYS = {6: (dt.time(8), dt.time(17))}


@pytest.mark.parametrize("day", [SPRING, FALL])
def test_dst_days_keep_wall_clock_hours(day):
    p = planner.PlannerInput(rules(opening_hours=SUNDAYS), chairs(1), (), (), all_day_shifts(day, 1))
    result = planner.find_slots(p, request(day, 60, limit=100))
    starts = sorted(c.start for c in result.candidates)
    assert starts[0] == local(day, "08:00")
    assert starts[-1] == local(day, "16:00")
    assert len(starts) == 33


def test_overnight_hours_across_the_spring_gap_are_shorter():
    night = {6: (dt.time(0), dt.time(6))}
    shifts = (planner.Shift(1, local(SPRING, "00:00"), local(SPRING, "07:00")),)
    p = planner.PlannerInput(rules(opening_hours=night), chairs(1), (), (), shifts)
    # Only five real hours between 00:00 and 06:00 on the spring-forward day.
    assert day_codes(planner.find_slots(p, request(SPRING, 330)), SPRING) == {"too_long_for_day"}
    assert planner.find_slots(p, request(SPRING, 300)).candidates


def test_overnight_hours_across_the_fall_repeat_are_longer():
    night = {6: (dt.time(0), dt.time(6))}
    shifts = (planner.Shift(1, local(FALL, "00:00"), local(FALL, "07:00")),)
    p = planner.PlannerInput(rules(opening_hours=night), chairs(1), (), (), shifts)
    found = planner.find_slots(p, request(FALL, 420))
    assert [c.start for c in found.candidates] == [local(FALL, "00:00")]


# --- Staffing strip -------------------------------------------------------------------------


def test_day_load_reports_each_slot():
    booked = [planner.BookedSlot(id=1, chair_id=1, start=local(MONDAY, "09:00"), end=local(MONDAY, "10:00"))]
    loads = planner.day_load(pin(booked=booked, nurses=2), MONDAY)
    assert len(loads) == 36
    at_nine = next(load for load in loads if load.start == local(MONDAY, "09:00"))
    assert (at_nine.nurses, at_nine.watched, at_nine.watch_capacity) == (2, 1, 8)
    assert (at_nine.starts, at_nine.start_capacity) == (1, 4)
    assert planner.day_load(pin(), SATURDAY) == []


# --- Start windows are real intervals on the fall-back day (issue 15) ------------------------

FALL_NIGHT = {6: (dt.time(0), dt.time(6))}
EDT = dt.timezone(dt.timedelta(hours=-4))
EST = dt.timezone(dt.timedelta(hours=-5))
FIRST_ONE_AM = dt.datetime(2026, 11, 1, 1, 0, tzinfo=EDT)  # 05:00 UTC
SECOND_ONE_AM = dt.datetime(2026, 11, 1, 1, 0, tzinfo=EST)  # 06:00 UTC, an hour later


def fall_night(shifts, booked=()):
    return planner.PlannerInput(
        rules(opening_hours=FALL_NIGHT, starts_per_nurse_per_window=1), chairs(3), tuple(booked), (), tuple(shifts)
    )


def test_second_one_am_is_its_own_start_window():
    shifts = [planner.Shift(1, local(FALL, "00:00"), local(FALL, "06:00"))]
    first = planner.BookedSlot(id=1, chair_id=1, start=FIRST_ONE_AM, end=FIRST_ONE_AM + dt.timedelta(hours=1))
    p = fall_night(shifts, [first])
    assert planner.check_placement(p, chair_id=2, start=SECOND_ONE_AM, chair_minutes=60) == []
    assert SECOND_ONE_AM in {c.start for c in planner.find_slots(p, request(FALL, 60, limit=100)).candidates}


def test_second_one_am_window_counts_its_own_nurses():
    # Two nurses during the first 01:00 hour, one during the second: one start per window then.
    shifts = [
        planner.Shift(1, local(FALL, "00:00"), local(FALL, "06:00")),
        planner.Shift(2, local(FALL, "00:00"), SECOND_ONE_AM),
    ]
    first = planner.BookedSlot(id=1, chair_id=1, start=SECOND_ONE_AM, end=SECOND_ONE_AM + dt.timedelta(hours=1))
    p = fall_night(shifts, [first])
    assert codes(planner.check_placement(p, chair_id=2, start=SECOND_ONE_AM, chair_minutes=60)) == {"nurse_start_full"}
    at_second = next(load for load in planner.day_load(p, FALL) if load.start == SECOND_ONE_AM)
    assert (at_second.nurses, at_second.starts, at_second.start_capacity) == (1, 1, 1)
    at_first = next(load for load in planner.day_load(p, FALL) if load.start == FIRST_ONE_AM)
    assert (at_first.nurses, at_first.starts, at_first.start_capacity) == (2, 0, 2)


def test_start_window_is_a_real_interval():
    r = rules(start_window_minutes=30)
    assert planner.start_window(r, SECOND_ONE_AM + dt.timedelta(minutes=20)) == (
        SECOND_ONE_AM.astimezone(dt.UTC),
        SECOND_ONE_AM.astimezone(dt.UTC) + dt.timedelta(minutes=30),
    )
    begin, end = planner.start_window(r, FIRST_ONE_AM + dt.timedelta(minutes=45))
    assert (begin, end) == (
        (FIRST_ONE_AM + dt.timedelta(minutes=30)).astimezone(dt.UTC),
        SECOND_ONE_AM.astimezone(dt.UTC),
    )


# --- Template-guided ranking (issue 15) -----------------------------------------------------


def templated(slots, booked=(), chair_count=2):
    template = planner.Template({MONDAY.weekday(): tuple(slots)})
    return planner.PlannerInput(rules(), chairs(chair_count), tuple(booked), (), all_day_shifts(MONDAY, 2), template)


def test_a_short_infusion_leaves_the_room_the_template_expects_long_infusions_to_need():
    # The template keeps two five-hour starts; chair 1 is free only 12:00-17:00, chair 2 all day: each
    # holds one. Best fit alone would put a one-hour infusion in chair 1's afternoon; the template needs it.
    booked = [planner.BookedSlot(1, 1, local(MONDAY, "08:00"), local(MONDAY, "12:00"))]
    without = planner.find_slots(templated([], booked), request(MONDAY, 60)).candidates[0]
    assert without.chair_id == 1
    top = planner.find_slots(templated([planner.TemplateSlot(dt.time(8), 300, count=2)], booked), request(MONDAY, 60))
    assert top.candidates[0].chair_id == 2
    assert "leaves room for every patient the template still expects" in top.candidates[0].reason


def test_the_look_ahead_keeps_room_for_every_duration_class_the_template_still_expects():
    # Chair 1 is free only 12:00-14:00, chair 2 all day (08:00-17:00): room for the 5 two-hour starts the
    # template expects (1 + 4, an hour to spare). Best fit alone puts a one-hour infusion in chair 1's
    # stretch, which then holds none; snug at 08:00 on chair 2 all five still fit (a class shorter than
    # "long", which the room term alone never weighed).
    booked = [
        planner.BookedSlot(1, 1, local(MONDAY, "08:00"), local(MONDAY, "12:00")),
        planner.BookedSlot(2, 1, local(MONDAY, "14:00"), local(MONDAY, "17:00")),
    ]
    without = planner.find_slots(templated([], booked), request(MONDAY, 60)).candidates[0]
    assert without.chair_id == 1
    template = [planner.TemplateSlot(dt.time(8), 120, count=5)]
    top = planner.find_slots(templated(template, booked), request(MONDAY, 60)).candidates[0]
    assert (top.chair_id, top.start) == (2, local(MONDAY, "08:00"))
    assert "leaves room for every patient the template still expects" in top.reason
    # Taking chair 1's stretch is still offered, ranked after, and says what it costs.
    taken = [
        c for c in planner.find_slots(templated(template, booked), request(MONDAY, 60)).candidates if c.chair_id == 1
    ]
    assert taken and all("takes room the template keeps for patients still to come" in c.reason for c in taken)


def test_once_the_template_starts_are_booked_the_ranking_is_todays():
    # The template's only start (one hour at 08:00) is booked: nothing is still expected, so the template
    # ranks the day exactly as no template does.
    booked = [planner.BookedSlot(1, 1, local(MONDAY, "08:00"), local(MONDAY, "09:00"))]
    with_template = planner.find_slots(templated([planner.TemplateSlot(dt.time(8), 60)], booked), request(MONDAY, 45))
    without = planner.find_slots(templated([], booked), request(MONDAY, 45))
    assert [(c.chair_id, c.start, c.score) for c in with_template.candidates] == [
        (c.chair_id, c.start, c.score) for c in without.candidates
    ]


def test_once_the_template_long_starts_are_booked_short_infusions_break_up_long_stretches():
    # The template keeps one five-hour start and it is booked (4 h 50 min is the same 300-minute class):
    # a chair day left whole for another would hold more patients as shorter infusions.
    booked = [planner.BookedSlot(1, 1, local(MONDAY, "08:00"), local(MONDAY, "12:50"))]
    template = [planner.TemplateSlot(dt.time(8), 300)]
    top = planner.find_slots(templated(template, booked, chair_count=3), request(MONDAY, 60)).candidates[0]
    assert top.chair_id in (2, 3)
    opens, closes = local(MONDAY, "08:00"), local(MONDAY, "17:00")
    assert top.start - opens < dt.timedelta(hours=5) and closes - top.end < dt.timedelta(hours=5)
    # Without the template the free stretch after the booking is the tightest: best fit takes it.
    untemplated = planner.find_slots(templated([], booked, chair_count=3), request(MONDAY, 60)).candidates[0]
    assert untemplated.chair_id == 1


def test_while_the_template_still_expects_a_long_class_short_infusions_do_not_break_up_spare_room():
    # One five-hour start expected, three empty chairs: two chair days are room the template does not
    # need, but a day's mix often holds more long infusions than the template's. The one-hour infusion
    # sits snug at the opening, leaving every chair day able to hold a five-hour infusion.
    template = [planner.TemplateSlot(dt.time(8), 300)]
    top = planner.find_slots(templated(template, chair_count=3), request(MONDAY, 60)).candidates[0]
    assert (top.chair_id, top.start) == (1, local(MONDAY, "08:00"))


def test_the_duration_class_is_the_chair_time_on_the_grid():
    assert planner.duration_class(rules(), 50) == 60
    assert planner.duration_class(rules(), 60) == 60
    assert planner.duration_class(rules(), 65) == 75


def test_requests_as_long_as_the_template_class_are_not_steered_by_it():
    booked = [planner.BookedSlot(1, 1, local(MONDAY, "08:00"), local(MONDAY, "12:00"))]
    template = [planner.TemplateSlot(dt.time(8), 300, count=2)]
    with_template = planner.find_slots(templated(template, booked), request(MONDAY, 300))
    without = planner.find_slots(templated([], booked), request(MONDAY, 300))
    assert [(c.chair_id, c.start) for c in with_template.candidates] == [
        (c.chair_id, c.start) for c in without.candidates
    ]


def test_every_hard_rule_still_holds_in_a_template_slot():
    # The template asks for three starts at 13:00, but two nurses allow four per window and the chairs two.
    booked = [planner.BookedSlot(n, n, local(MONDAY, "12:00"), local(MONDAY, "15:00")) for n in (1, 2)]
    p = templated([planner.TemplateSlot(dt.time(13), 60, count=3)], booked)
    assert planner.find_slots(p, request(MONDAY, 60, date_to=MONDAY)).candidates[0].start != local(MONDAY, "13:00")


def test_template_compliance_counts_bookings_in_template_slots():
    booked = [
        planner.BookedSlot(1, 1, local(MONDAY, "08:00"), local(MONDAY, "09:00")),  # in a slot
        planner.BookedSlot(2, 2, local(MONDAY, "08:00"), local(MONDAY, "10:00")),  # right time, wrong length
        planner.BookedSlot(3, 1, local(MONDAY, "10:00"), local(MONDAY, "11:00")),  # no slot at 10:00
    ]
    p = templated([planner.TemplateSlot(dt.time(8), 60, count=2)], booked)
    assert planner.template_compliance(p, MONDAY) == (1, 3)
    assert planner.template_compliance(templated([]), MONDAY) == (0, 0)
