"""Nightly template builds (Celery beat). Safe to run twice: an unchanged template adds no version."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from booking_templates.services import build_center_templates
from chairs.models import Center


@shared_task(name="booking_templates.build_center_templates")
def build_templates_for_center(center_id: int) -> dict[int, str]:
    center = Center.objects.get(pk=center_id)
    today = timezone.now().astimezone(center.tzinfo).date()
    results = build_center_templates(
        center=center,
        today=today,
        weeks=settings.BOOKING_TEMPLATE_WEEKS,
        work=settings.BOOKING_TEMPLATE_WORK,
        seconds=settings.BOOKING_TEMPLATE_SECONDS,
    )
    return {r.weekday: r.outcome for r in results}


@shared_task(name="booking_templates.build_all_templates")
def build_all_templates() -> int:
    """Queue one build per center (each solve is time-capped; one center's failure spares the others)."""
    ids = list(Center.objects.values_list("pk", flat=True))
    for center_id in ids:
        build_templates_for_center.delay(center_id)
    return len(ids)
