"""Celery tasks: thin wrappers around webhooks.services, taking ids and safe to run twice."""

from __future__ import annotations

import logging

from celery import shared_task

from webhooks import services

logger = logging.getLogger(__name__)


@shared_task(name="webhooks.deliver", ignore_result=True, acks_late=True)
def deliver(delivery_id: int) -> str:
    return services.deliver(delivery_id)


@shared_task(name="webhooks.dispatch_due_deliveries", ignore_result=True, acks_late=True)
def dispatch_due_deliveries() -> int:
    ids = services.due_ids()
    publish_deliveries(ids)
    return len(ids)


def publish_deliveries(ids: list[int]) -> None:
    """One send task per delivery. If the broker is unreachable the rows stay due and beat's dispatcher
    (every ``WEBHOOKS_DISPATCH_SECONDS``) sends them later: the outbox, not the broker, is the record."""
    if not ids:
        return
    try:
        with deliver.app.producer_or_acquire() as producer:
            for delivery_id in ids:
                deliver.apply_async(args=[delivery_id], producer=producer)
    except Exception:  # noqa: BLE001  (any broker failure: the dispatcher retries from the outbox)
        logger.warning("Could not publish webhook deliveries %s; the dispatcher will send them.", ids, exc_info=True)
