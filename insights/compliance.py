"""Booking-template compliance of a range of local days: stored for past days, counted live for the rest.

The count itself is ``booking_templates.selectors.compliance`` (the planner's own measure, against
the center's current template). A past day's count is stored in :class:`StoredCompliance` the first
time a view asks for it and read back afterwards; the triggers of migration ``0003`` forget it when
anything it was counted from changes (the day's bookings, closures, the center's hours or zone, any
booking template of the center). Today and later days are always counted live. Filling follows the
slot summary's lock (:mod:`insights.summary`): each batch of days is counted and stored in one
transaction holding the center's summary lock exclusively, so a day is never stored from a state a
concurrent change has already left; when a writer holds the lock the batch stays live this time.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from booking_templates.selectors import DayCompliance, compliance
from insights.models import StoredCompliance
from insights.period import Period
from insights.summary import BATCH_DAYS, LOCK_NAMESPACE


def day_compliance(*, period: Period) -> list[DayCompliance]:
    """Every day of the range, in order (one query when the past days are stored, plus today's count)."""
    center = period.center
    slot = center.slot_minutes
    stored = {
        row.day: DayCompliance(row.day, row.in_template, row.bookings)
        for row in StoredCompliance.objects.filter(
            center=center, slot_minutes=slot, day__gte=period.date_from, day__lte=period.date_to
        )
    }
    last_past = min(period.date_to, period.today - dt.timedelta(days=1))
    missing = [d for d in _days(period.date_from, last_past) if d not in stored]
    for i in range(0, len(missing), BATCH_DAYS):
        stored |= _store(period=period, days=missing[i : i + BATCH_DAYS])
    first_live = max(period.date_from, period.today)
    if first_live <= period.date_to:
        stored |= {d.day: d for d in compliance(center=center, date_from=first_live, date_to=period.date_to)}
    return [stored[d] for d in _days(period.date_from, period.date_to)]


def _store(*, period: Period, days: list[dt.date]) -> dict[dt.date, DayCompliance]:
    """Count ``days`` (consecutive or not) and store them, unless a writer of the center holds the lock."""
    center = period.center
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, center.pk])
            is_locked = cursor.fetchone()[0]
        wanted = set(days)
        counted = {
            d.day: d for d in compliance(center=center, date_from=min(days), date_to=max(days)) if d.day in wanted
        }
        if is_locked:
            now = timezone.now()
            StoredCompliance.objects.bulk_create(
                [
                    StoredCompliance(
                        center=center,
                        day=d.day,
                        slot_minutes=center.slot_minutes,
                        in_template=d.in_template,
                        bookings=d.bookings,
                        computed_at=now,
                    )
                    for d in counted.values()
                ],
                ignore_conflicts=True,
            )
    return counted


def _days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)
