"""Periodic housekeeping of the scheduling app (run by Celery beat)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from scheduling.models import IdempotencyKey


@shared_task(name="scheduling.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Forget API replay records older than IDEMPOTENCY_KEY_HOURS; clients retry within minutes, not days."""
    cutoff = timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
