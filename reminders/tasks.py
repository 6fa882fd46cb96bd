"""Celery tasks: thin wrappers around reminders.services, taking ids and safe to run twice.

The reminder time itself is never a Celery ETA or countdown: rows wait in the
outbox (the database) and beat runs :func:`dispatch_due_reminders` every minute.
"""

from __future__ import annotations

from celery import shared_task

from reminders import services


@shared_task(name="reminders.dispatch_due_reminders", ignore_result=True, acks_late=True)
def dispatch_due_reminders() -> int:
    return services.dispatch_due()


@shared_task(name="reminders.send_reminder", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def send_reminder(reminder_id: int) -> str:
    return services.send_reminder(reminder_id)


@shared_task(name="reminders.send_reminders", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def send_reminders(reminder_ids: list[int]) -> list[str]:
    return services.send_reminders(reminder_ids)


# Reminders per send task: each task claims its rows in one transaction (one commit that waits for the
# disk per batch) and records outcomes in groups; a worker killed mid-task leaves at most this many unknown.
SEND_BATCH = 50


def enqueue_sends(reminder_ids: list[int]) -> None:
    """Publish send tasks of ``SEND_BATCH`` reminders (called after the dispatcher's transaction commits)."""
    with send_reminders.app.producer_or_acquire() as producer:
        for first in range(0, len(reminder_ids), SEND_BATCH):
            send_reminders.apply_async(args=[reminder_ids[first : first + SEND_BATCH]], producer=producer)
