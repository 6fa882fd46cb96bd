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


def enqueue_sends(reminder_ids: list[int]) -> None:
    """Publish one send task per reminder (called after the dispatcher's transaction commits)."""
    with send_reminder.app.producer_or_acquire() as producer:
        for reminder_id in reminder_ids:
            send_reminder.apply_async(args=[reminder_id], producer=producer)
