"""Nightly (Celery beat): store each center's past days of the default range in the slot summary,
the visit summary and their template compliance, so the morning's first insights view reads them instead of computing
them. Safe to run twice: a day already stored is skipped. Views store whatever is still missing
themselves (``insights.summary``, ``insights.visits``, ``insights.compliance``)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from chairs.models import Center
from insights.compliance import day_compliance
from insights.period import DEFAULT_DAYS, Period
from insights.summary import refresh
from insights.visits import refresh as refresh_visits

UTILIZATION_STEPS = (15, 30)  # the heatmap's two slot lengths


@shared_task(name="insights.store_past_days")
def store_past_days() -> int:
    """Days of slot figures stored over every center (each slot length the views ask for)."""
    now = timezone.now()
    stored = 0
    for center in Center.objects.all():
        today = now.astimezone(center.tzinfo).date()
        period = Period(center=center, date_from=today - dt.timedelta(days=DEFAULT_DAYS - 1), date_to=today, now=now)
        for step in sorted({*UTILIZATION_STEPS, center.slot_minutes}):
            stored += refresh(period=period, step_minutes=step)
        refresh_visits(period=period)
        day_compliance(period=period)
    return stored
