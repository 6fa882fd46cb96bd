"""Sending the outbox: claim a due delivery, POST it signed, record the attempt, retry with backoff.

A delivery is claimed by moving it from ``pending`` to ``sending`` in one conditional UPDATE, so a send
task delivered twice sends once. A 2xx answer delivers it; anything else (an error status, a refused
connection, a timeout) schedules the next attempt after an exponential backoff with jitter (30 s, 1, 2,
4 … minutes, at most 6 hours apart) until ``MAX_ATTEMPTS``, then it is ``failed`` and shown in the
setup page's delivery log, where a center admin can send it again. Every attempt carries the same
``Webhook-Id`` (the event's id): receivers de-duplicate on it, which is why a delivery left ``sending``
by a lost worker is simply made due again after ``SENDING_LEASE``.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import urllib.error
import urllib.request

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Subscription, new_secret
from webhooks.signing import SIGNATURE_HEADER, sign

MAX_ATTEMPTS = 10
BASE_DELAY_SECONDS = 30
MAX_DELAY_SECONDS = 6 * 3600
TIMEOUT_SECONDS = 10
SENDING_LEASE = dt.timedelta(minutes=5)
CLAIM_BATCH = 200
USER_AGENT = "InfusionCenter-Webhooks/1"


def backoff(attempts: int, *, rng: random.Random | None = None) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: doubling from 30 s, capped at 6 h, ±10 % jitter."""
    delay = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** max(0, attempts - 1))
    return dt.timedelta(seconds=delay * (rng or random).uniform(0.9, 1.1))


def due_ids(*, now: dt.datetime | None = None, limit: int = CLAIM_BATCH) -> list[int]:
    """Deliveries due now (and ``sending`` ones whose worker was lost), oldest first."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = Delivery.objects.filter(status=DeliveryStatus.SENDING, last_attempt_at__lt=now - SENDING_LEASE)
        stale.update(status=DeliveryStatus.PENDING)
        return list(
            Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )


def _claim(delivery_id: int, now: dt.datetime) -> bool:
    return bool(
        Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now).update(
            status=DeliveryStatus.SENDING, last_attempt_at=now
        )
    )


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310  (http/https only: URLField)
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code} {error.reason}"[:500]
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        return None, f"{type(error).__name__}: {reason}"[:500]


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> str:
    """Send one due delivery (if nobody else is); returns its status afterwards."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first() or "missing"
    delivery = Delivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    body = delivery.body.encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Webhook-Id": str(delivery.event_id),
        "Webhook-Event": delivery.event,
        "Webhook-Timestamp": str(timestamp),
        SIGNATURE_HEADER: sign(secret=subscription.secret, body=body, timestamp=timestamp),
    }
    began = time.monotonic()
    status_code, error = _post(subscription.url, body, headers)
    elapsed = int((time.monotonic() - began) * 1000)
    is_delivered = status_code is not None and 200 <= status_code < 300
    delivery.attempts += 1
    delivery.last_status_code = status_code
    delivery.last_error = "" if is_delivered else (error or f"HTTP {status_code}")
    if is_delivered:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
    elif delivery.attempts >= MAX_ATTEMPTS or not subscription.is_active:
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = timezone.now() + backoff(delivery.attempts)
    with transaction.atomic():
        delivery.save()
        DeliveryAttempt.objects.create(
            delivery=delivery, attempted_at=now, status_code=status_code, error=delivery.last_error, duration_ms=elapsed
        )
    return delivery.status


def deliver_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Send every due delivery in this process (the dispatcher's fallback and the tests' driver)."""
    results: dict[str, int] = {}
    for delivery_id in due_ids(now=now):
        status = deliver(delivery_id, now=now)
        results[status] = results.get(status, 0) + 1
    return results


def redeliver(*, delivery: Delivery) -> Delivery:
    """A center admin sends a delivery again now, with a fresh run of attempts."""
    Delivery.objects.filter(pk=delivery.pk).filter(~Q(status=DeliveryStatus.SENDING)).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    delivery.refresh_from_db()
    transaction.on_commit(lambda: _publish([delivery.pk]))
    return delivery


def _publish(ids: list[int]) -> None:
    from webhooks.tasks import publish_deliveries

    publish_deliveries(ids)


def save_subscription(*, actor, subscription: Subscription) -> Subscription:
    if subscription.pk is None:
        subscription.created_by = actor
    subscription._history_user = actor  # type: ignore[attr-defined]  # django-simple-history
    subscription.save()
    return subscription


def rotate_secret(*, actor, subscription: Subscription) -> Subscription:
    subscription.secret = new_secret()
    return save_subscription(actor=actor, subscription=subscription)
