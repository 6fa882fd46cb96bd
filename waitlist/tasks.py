"""Celery tasks: thin wrappers around waitlist.services, taking ids and safe to run twice."""

from __future__ import annotations

from celery import shared_task

from waitlist import services


@shared_task(name="waitlist.fill_gap", ignore_result=True, acks_late=True)
def fill_gap(release_id: int) -> list[int]:
    return services.fill_gap(release_id)


@shared_task(name="waitlist.send_offer", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def send_offer(offer_id: int) -> str:
    return services.send_offer(offer_id)


@shared_task(name="waitlist.advance", ignore_result=True, acks_late=True)
def advance() -> int:
    return services.advance()
