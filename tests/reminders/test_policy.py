"""Quiet hours, offsets and one-per-day, as pure rules (time zones and DST included)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from reminders import policy

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
QUIET = policy.QuietHours(start=dt.time(21), end=dt.time(8))


def local(tz, *args):
    return dt.datetime(*args, tzinfo=tz)


def test_daytime_is_allowed_as_is():
    moment = local(NEW_YORK, 2026, 12, 7, 14, 30)
    assert policy.next_allowed_time(moment, tz=NEW_YORK, quiet=QUIET) == moment


def test_reminder_due_at_night_waits_for_the_morning():
    late = local(NEW_YORK, 2026, 12, 7, 22, 15)
    assert policy.next_allowed_time(late, tz=NEW_YORK, quiet=QUIET) == local(NEW_YORK, 2026, 12, 8, 8, 0)
    early = local(NEW_YORK, 2026, 12, 8, 5, 0)
    assert policy.next_allowed_time(early, tz=NEW_YORK, quiet=QUIET) == local(NEW_YORK, 2026, 12, 8, 8, 0)


def test_quiet_hours_follow_the_patients_time_zone_not_the_centers():
    # 10:00 in New York is 00:00 in Tokyo: quiet there, so the patient in Tokyo waits until 08:00 Tokyo time.
    moment = local(NEW_YORK, 2026, 12, 7, 10, 0)
    assert policy.next_allowed_time(moment, tz=NEW_YORK, quiet=QUIET) == moment
    assert policy.next_allowed_time(moment, tz=TOKYO, quiet=QUIET) == local(TOKYO, 2026, 12, 8, 8, 0)
    # 06:00 in Los Angeles is 09:00 in New York.
    moment = local(NEW_YORK, 2026, 12, 7, 9, 0)
    assert policy.next_allowed_time(moment, tz=LOS_ANGELES, quiet=QUIET) == local(LOS_ANGELES, 2026, 12, 7, 8, 0)


def test_quiet_hours_across_spring_forward():
    # 2027-03-14: New York jumps from 02:00 to 03:00. 23:30 on the 13th waits until 08:00 EDT (12:00 UTC).
    moment = local(NEW_YORK, 2027, 3, 13, 23, 30)
    allowed = policy.next_allowed_time(moment, tz=NEW_YORK, quiet=QUIET)
    assert allowed == dt.datetime(2027, 3, 14, 12, 0, tzinfo=dt.UTC)
    assert allowed.astimezone(NEW_YORK).hour == 8


def test_quiet_hours_across_fall_back():
    # 2026-11-01: clocks go back at 02:00. 01:30 (second, EST) waits until 08:00 EST = 13:00 UTC.
    moment = dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)  # 01:30 EST
    allowed = policy.next_allowed_time(moment, tz=NEW_YORK, quiet=QUIET)
    assert allowed == dt.datetime(2026, 11, 1, 13, 0, tzinfo=dt.UTC)


def test_quiet_hours_ending_inside_a_dst_gap_move_past_it():
    quiet = policy.QuietHours(start=dt.time(21), end=dt.time(2, 30))  # 02:30 does not exist on 2027-03-14
    allowed = policy.next_allowed_time(local(NEW_YORK, 2027, 3, 14, 1, 0), tz=NEW_YORK, quiet=quiet)
    assert allowed.astimezone(NEW_YORK).replace(tzinfo=None) == dt.datetime(2027, 3, 14, 3, 30)


def test_local_day_bounds_on_a_23_hour_day():
    start, end = policy.local_day_bounds(local(NEW_YORK, 2027, 3, 14, 12), tz=NEW_YORK)
    assert end - start == dt.timedelta(hours=23)


def test_plan_gives_72_and_24_hours_before_outside_quiet_hours():
    start = local(NEW_YORK, 2026, 12, 10, 9, 0)
    now = local(NEW_YORK, 2026, 11, 27, 12, 0)
    planned = policy.plan(start=start, offsets_hours=[72, 24], now=now, tz=NEW_YORK, quiet=QUIET)
    assert [(p.kind, p.due_at) for p in planned] == [
        ("72h", local(NEW_YORK, 2026, 12, 7, 9, 0)),
        ("24h", local(NEW_YORK, 2026, 12, 9, 9, 0)),
    ]


def test_plan_moves_an_early_morning_appointments_reminder_out_of_the_night():
    start = local(NEW_YORK, 2026, 12, 10, 7, 0)  # 24 h before is 07:00: quiet until 08:00
    now = local(NEW_YORK, 2026, 11, 27, 12, 0)
    planned = policy.plan(start=start, offsets_hours=[24], now=now, tz=NEW_YORK, quiet=QUIET)
    assert planned[0].due_at == local(NEW_YORK, 2026, 12, 9, 8, 0)


def test_booking_inside_the_window_catches_up_only_the_nearest_reminder():
    start = local(NEW_YORK, 2026, 12, 10, 15, 0)
    now = local(NEW_YORK, 2026, 12, 9, 10, 0)  # 29 h ahead: 72 h and 24 h are both past? 24 h is at 15:00 today
    planned = policy.plan(start=start, offsets_hours=[72, 24], now=now, tz=NEW_YORK, quiet=QUIET)
    assert [p.kind for p in planned] == ["24h"]
    assert planned[0].due_at == local(NEW_YORK, 2026, 12, 9, 15, 0)
    later = local(NEW_YORK, 2026, 12, 9, 18, 0)  # 21 h ahead: 24 h is overdue, goes at once
    planned = policy.plan(start=start, offsets_hours=[72, 24], now=later, tz=NEW_YORK, quiet=QUIET)
    assert [(p.kind, p.due_at) for p in planned] == [("24h", later)]


def test_two_offsets_on_the_same_day_keep_only_the_later_one():
    start = local(NEW_YORK, 2026, 12, 10, 20, 0)
    now = local(NEW_YORK, 2026, 11, 27, 12, 0)
    # 6 h before = 14:00, 10 h before = 10:00: the same day, so one reminder (the nearer one).
    planned = policy.plan(start=start, offsets_hours=[10, 6], now=now, tz=NEW_YORK, quiet=QUIET)
    assert [(p.kind, p.due_at) for p in planned] == [("6h", local(NEW_YORK, 2026, 12, 10, 14, 0))]


def test_no_reminder_that_would_land_after_the_start():
    start = local(NEW_YORK, 2026, 12, 10, 8, 30)
    now = local(NEW_YORK, 2026, 12, 10, 2, 0)  # quiet until 08:00, then 30 min left: still worth it
    planned = policy.plan(start=start, offsets_hours=[24], now=now, tz=NEW_YORK, quiet=QUIET)
    assert planned[0].due_at == local(NEW_YORK, 2026, 12, 10, 8, 0)
    start = local(NEW_YORK, 2026, 12, 10, 7, 30)  # before the quiet hours end: nothing to send
    assert policy.plan(start=start, offsets_hours=[24], now=now, tz=NEW_YORK, quiet=QUIET) == []


def test_retry_delay_grows_exponentially_with_jitter():
    for attempt, base in ((1, 60), (2, 120), (3, 240)):
        delays = {policy.retry_delay_seconds(attempt, base=60, cap=1800) for _ in range(20)}
        assert all(base / 2 <= d <= base for d in delays)
        assert len(delays) > 1  # jittered
    assert policy.retry_delay_seconds(20, base=60, cap=1800) <= 1800
