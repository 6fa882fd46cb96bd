"""Writes for treatment plans: orders, authorizations, documents, and the readiness check at booking.

:func:`guard_booking` is what ``services.book_appointment`` asks before it
writes: a dose whose missing items cannot be completed before its date (no
valid order, a denied or exhausted authorization, a vaccine too late to give)
is refused unless a center admin overrides it with a reason, which is stored
on the appointment; items that can still be completed come back as warnings
for the page to show.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from chairs.roles import CENTER_ADMIN, Actor, has_role
from patients.models import Patient
from scheduling.errors import Reason
from scheduling.models import Appointment
from treatment.errors import DoseNotReady
from treatment.models import Order, PrerequisiteDocument, PriorAuthorization, ProtocolPrerequisite
from treatment.readiness import Item, readiness_of

# Callbacks run inside the same transaction after an order or authorization is saved or deleted, with
# ("saved" | "deleted", the record); the webhooks' outbox registers here (webhooks/apps.py).
plan_changed_hooks: list[Callable[[str, object], None]] = []


def _announce(change: str, instance) -> None:
    for hook in plan_changed_hooks:
        hook(change, instance)


def readiness_required() -> bool:
    """Booking checks readiness unless settings.BOOKING_REQUIRES_ORDER is False (other areas' tests)."""
    return getattr(settings, "BOOKING_REQUIRES_ORDER", True)


def can_override(actor: Actor) -> bool:
    return actor is not None and has_role(actor, CENTER_ADMIN)


def guard_booking(*, actor: Actor, appointment: Appointment, override_reason: str = "") -> list[Item]:
    """Refuse an unsaved appointment that cannot be ready by its date; return the warnings to show.

    With a center admin's ``override_reason`` the refusal becomes a recorded override.
    """
    if not readiness_required():
        return []
    readiness = readiness_of(appointment)
    override_reason = override_reason.strip()
    if readiness.blocking:
        if not override_reason:
            raise DoseNotReady([Reason(item.code, item.message) for item in readiness.blocking])
        if not can_override(actor):
            raise DoseNotReady(
                [Reason("override_not_allowed", "Only a center admin may book a dose that cannot be ready.")]
                + [Reason(item.code, item.message) for item in readiness.blocking]
            )
        appointment.readiness_override_reason = override_reason[:255]
        appointment.readiness_override_by = actor
    return readiness.warnings


def _save(instance, *, actor: Actor) -> None:
    instance._history_user = actor
    instance.save()


@transaction.atomic
def save_order(*, actor: Actor, order: Order, patient: Patient) -> Order:
    order.patient = patient
    if order.pk is None:
        order.created_by = actor
    _save(order, actor=actor)
    _announce("saved", order)
    return order


@transaction.atomic
def save_authorization(*, actor: Actor, authorization: PriorAuthorization, order: Order) -> PriorAuthorization:
    authorization.order = order
    authorization.patient_id = order.patient_id
    if authorization.pk is None:
        authorization.created_by = actor
    _save(authorization, actor=actor)
    _announce("saved", authorization)
    return authorization


@transaction.atomic
def save_document(*, actor: Actor, document: PrerequisiteDocument, patient: Patient) -> PrerequisiteDocument:
    document.patient = patient
    if document.pk is None:
        document.recorded_by = actor
    _save(document, actor=actor)
    return document


@transaction.atomic
def save_prerequisite(*, actor: Actor, prerequisite: ProtocolPrerequisite) -> ProtocolPrerequisite:
    _save(prerequisite, actor=actor)
    return prerequisite


@transaction.atomic
def delete_record(
    *, actor: Actor, instance: Order | PriorAuthorization | PrerequisiteDocument | ProtocolPrerequisite
) -> None:
    """Delete a treatment-plan record, keeping who deleted it in its history."""
    pk = instance.pk
    instance._history_user = actor  # type: ignore[union-attr]  # django-simple-history
    instance.delete()
    instance.pk = pk  # the hooks name what was deleted
    _announce("deleted", instance)
