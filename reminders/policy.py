"""When reminders go out: offsets, quiet hours and the one-per-day rule, as pure functions.

No database and no clock here: every function takes the times it needs, so the
rules are easy to test across time zones and daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass


@dataclass(frozen=True)
class QuietHours:
    """No reminders from ``start`` until ``end`` (local times; may wrap midnight, e.g. 21:00–08:00)."""

    start: dt.time
    end: dt.time

    def contains(self, local_time: dt.time) -> bool:
        if self.start == self.end:
            return False
        if self.start > self.end:  # wraps midnight
            return local_time >= self.start or local_time < self.end
        return self.start <= local_time < self.end


def _aware(day: dt.date, at: dt.time, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """``day`` at ``at`` in ``tz``; a wall time skipped by a DST jump moves forward past the gap."""
    # fold=0 reads a skipped wall time with the offset before the jump, which lands after the gap
    # (02:30 on a spring-forward night becomes 03:30); an ambiguous one takes its first occurrence.
    return dt.datetime.combine(day, at, tzinfo=tz).astimezone(dt.UTC).astimezone(tz)


def next_allowed_time(moment: dt.datetime, *, tz: zoneinfo.ZoneInfo, quiet: QuietHours) -> dt.datetime:
    """``moment`` itself if it is outside quiet hours in ``tz``, else the end of those quiet hours."""
    local = moment.astimezone(tz)
    if not quiet.contains(local.timetz().replace(tzinfo=None)):
        return moment
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += dt.timedelta(days=1)
    return _aware(day, quiet.end, tz).astimezone(dt.UTC)


def next_day_start(moment: dt.datetime, *, tz: zoneinfo.ZoneInfo, quiet: QuietHours) -> dt.datetime:
    """The first allowed time on the local day after ``moment`` (for the one-per-day rule)."""
    tomorrow = moment.astimezone(tz).date() + dt.timedelta(days=1)
    return next_allowed_time(_aware(tomorrow, dt.time(0, 0), tz), tz=tz, quiet=quiet)


def local_day_bounds(moment: dt.datetime, *, tz: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The half-open UTC range ``[midnight, next midnight)`` of ``moment``'s local day."""
    day = moment.astimezone(tz).date()
    start = _aware(day, dt.time(0, 0), tz).astimezone(dt.UTC)
    end = _aware(day + dt.timedelta(days=1), dt.time(0, 0), tz).astimezone(dt.UTC)
    return start, end


def kind_for(offset_hours: int) -> str:
    return f"{offset_hours}h"


@dataclass(frozen=True)
class PlannedReminder:
    kind: str
    offset_hours: int
    due_at: dt.datetime


def plan(
    *,
    start: dt.datetime,
    offsets_hours: list[int],
    now: dt.datetime,
    tz: zoneinfo.ZoneInfo,
    quiet: QuietHours,
) -> list[PlannedReminder]:
    """The reminders worth sending for an appointment at ``start``, earliest first.

    * Each offset's time is pushed out of quiet hours; one that then falls at or
      after the start is dropped.
    * An offset already past when booking is caught up at once only if no later
      offset is still ahead, and only the one nearest the appointment (a booking
      made 30 hours ahead gets its 24 h reminder, not a late 72 h one as well).
    * Two offsets landing on the same local day keep only the later one (at
      most one reminder per day).
    """
    if start <= now:
        return []
    upcoming: list[PlannedReminder] = []
    overdue: list[PlannedReminder] = []
    for offset in sorted(set(offsets_hours)):
        wanted = start - dt.timedelta(hours=offset)
        due = next_allowed_time(max(wanted, now), tz=tz, quiet=quiet)
        if due >= start:
            continue
        planned = PlannedReminder(kind=kind_for(offset), offset_hours=offset, due_at=due)
        (overdue if wanted <= now else upcoming).append(planned)
    candidates = upcoming or overdue[:1]
    kept: list[PlannedReminder] = []
    for candidate in sorted(candidates, key=lambda c: (c.due_at, -c.offset_hours)):
        day = candidate.due_at.astimezone(tz).date()
        if kept and kept[-1].due_at.astimezone(tz).date() == day:
            kept[-1] = candidate  # the later offset wins the day
        else:
            kept.append(candidate)
    return kept


def retry_delay_seconds(attempt: int, *, base: float, cap: float, jitter: float = 0.5) -> float:
    """Exponential backoff for the ``attempt``-th retry (1-based); ``jitter`` (0..1) of it is random."""
    delay = min(cap, base * (2 ** max(0, attempt - 1)))
    return delay * (1 - jitter) + delay * jitter * random.random()
