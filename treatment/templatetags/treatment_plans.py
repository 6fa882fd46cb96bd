"""Template helpers for treatment plans: the patient page's treatment summary."""

from __future__ import annotations

from django import template
from django.core import signing
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from patients.models import Patient
from scheduling.models import BLOCKING_STATUSES, AppointmentStatus
from treatment.models import PriorAuthorization, ProtocolPrerequisite
from treatment.readiness import readiness_for
from treatment.series import GIVEN_STATUSES

register = template.Library()

CALENDAR_SALT = "treatment.calendar"


def calendar_token(patient: Patient) -> str:
    return signing.dumps(patient.pk, salt=CALENDAR_SALT)


@register.simple_tag
def treatment_summary_for(patient: Patient) -> dict:
    """Orders with their authorizations and the protocol's checks, documents, and upcoming doses' readiness."""
    orders = list(
        patient.orders.select_related("protocol").prefetch_related(
            Prefetch("authorizations", queryset=PriorAuthorization.objects.order_by("-pk")),
            Prefetch("protocol__prerequisites", queryset=ProtocolPrerequisite.objects.filter(is_active=True)),
        )
    )
    upcoming = list(
        patient.appointments.filter(
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.PENDING), end__gt=timezone.now()
        )
        .select_related("protocol", "center")
        .order_by("start")[:30]
    )
    readiness = readiness_for(upcoming)
    for appointment in upcoming:
        appointment.readiness = readiness[appointment.pk]
    held = list(
        patient.appointments.filter(status__in=BLOCKING_STATUSES).values_list("protocol_id", "dose_number", "status")
    )
    for order in orders:
        order.has_upcoming_doses = any(a.protocol_id == order.protocol_id for a in upcoming)
        covered = [
            status for protocol_id, dose, status in held if protocol_id == order.protocol_id and order.covers_dose(dose)
        ]
        order.doses_booked = len(covered)
        order.doses_given = sum(1 for status in covered if status in GIVEN_STATUSES)
    return {
        "orders": orders,
        "documents": list(patient.prerequisite_documents.select_related("recorded_by")[:50]),
        "upcoming": upcoming,
        "calendar_url": reverse("treatment_calendar_feed", args=[calendar_token(patient)]),
    }
