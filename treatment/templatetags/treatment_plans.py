"""Template helpers for treatment plans: the patient page's treatment summary."""

from __future__ import annotations

from django import template
from django.core import signing
from django.db.models import Prefetch
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

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
        "medications": list(patient.medication_history.order_by("-started_on", "pk")[:50]),
        "upcoming": upcoming,
        "calendar_url": reverse("treatment_calendar_feed", args=[calendar_token(patient)]),
    }


@register.simple_tag(takes_context=True)
def readiness_badge(context, readiness) -> SafeString | str:
    """The compact badge of a dose that is not ready (the board's blocks); "" for a ready dose.

    A board shows hundreds of doses in a handful of states, so each distinct state is rendered once
    per page.
    """
    rendered = context.render_context.get("readiness_badges")
    if rendered is None:
        rendered = context.render_context["readiness_badges"] = {}
    return readiness_badge_html(readiness, rendered)


def readiness_badge_html(readiness, rendered: dict) -> SafeString | str:
    """:func:`readiness_badge` with its memo given (``rendered``: one page's badges by state), for the
    board's rows built in Python."""
    if not readiness or readiness.ready:  # "" when the dose has no readiness (already given)
        return ""
    key = (
        tuple((m.code, m.message, m.can_complete_before_date) for m in readiness.missing),
        readiness.override_reason,
    )
    if key not in rendered:
        badge = get_template("treatment/_readiness_badge.html").render({"readiness": readiness, "show_items": False})
        rendered[key] = mark_safe(badge)
    return rendered[key]
