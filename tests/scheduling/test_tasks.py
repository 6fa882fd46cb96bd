"""Housekeeping tasks."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from scheduling.models import IdempotencyKey
from scheduling.tasks import purge_idempotency_keys
from tests.factories import UserFactory


def test_old_idempotency_keys_are_purged(db, settings):
    settings.IDEMPOTENCY_KEY_HOURS = 24
    user = UserFactory()
    old = IdempotencyKey.objects.create(
        user=user, key="old", request_fingerprint="x", response_status=201, response_body={}
    )
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    IdempotencyKey.objects.create(
        user=user, key="fresh", request_fingerprint="y", response_status=201, response_body={}
    )
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
