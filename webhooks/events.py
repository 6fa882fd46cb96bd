"""What happened, as webhook events: the hooks the one doors call, the payloads, the outbox rows.

:func:`appointment_changed` is registered in ``scheduling.services.appointment_changed_hooks`` (run by
``book_appointment``, ``move_appointment`` and ``transition()`` inside their transaction) and
:func:`plan_changed` in ``treatment.services.plan_changed_hooks`` (orders and authorizations). Which
event an appointment change is follows from its last two history versions (created → booked; a new
status → cancelled, checked in, fulfilled, no-show; a new start or chair → moved). The delivery rows are
written in the same transaction, so an event exists exactly when its change committed; sending starts
after the commit (``transaction.on_commit``).

Payloads carry ids, times, statuses, the chair and the patient's id and MRN. Only a subscription marked
clinical also gets the protocol (code, name, drug), the dose number and free-text reasons: nothing that
names a drug reaches any other receiver.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from scheduling.models import Appointment, AppointmentStatus
from treatment.models import Order, PriorAuthorization
from webhooks.models import PING, Delivery, EventType, Subscription

_BY_NEW_STATUS = {
    AppointmentStatus.CANCELLED: EventType.APPOINTMENT_CANCELLED,
    AppointmentStatus.ARRIVED: EventType.APPOINTMENT_CHECKED_IN,
    AppointmentStatus.FULFILLED: EventType.APPOINTMENT_FULFILLED,
    AppointmentStatus.NOSHOW: EventType.APPOINTMENT_NO_SHOW,
}
_MOVABLE = (AppointmentStatus.BOOKED, AppointmentStatus.PENDING, AppointmentStatus.ARRIVED)


def appointment_event(appointment: Appointment) -> str | None:
    """The event the appointment's latest saved change is, or None for changes no event reports."""
    latest, *earlier = list(appointment.history.order_by("-history_id")[:2])
    if latest.history_type == "+" or not earlier:
        return EventType.APPOINTMENT_BOOKED if latest.status in _MOVABLE else None
    previous = earlier[0]
    if latest.status != previous.status:
        if latest.status == AppointmentStatus.ARRIVED and previous.status not in (
            AppointmentStatus.BOOKED,
            AppointmentStatus.PENDING,
        ):
            return None
        return _BY_NEW_STATUS.get(latest.status)
    if latest.status in _MOVABLE and (latest.start != previous.start or latest.chair_id != previous.chair_id):
        return EventType.APPOINTMENT_MOVED
    return None


def subscriptions_scope(center_id: int) -> str:
    return f"webhooks:{center_id}"


def has_subscriptions(center_id: int) -> bool:
    """Whether the center has an active subscription; cached until one of its subscriptions changes
    (``subscription_changed``), so a booking at a center without webhooks costs no query here."""
    from infusion_center.versioned_cache import cached

    return cached(
        [subscriptions_scope(center_id)],
        f"webhook-subscribed:{center_id}",
        lambda: Subscription.objects.filter(center_id=center_id, is_active=True).exists(),
    )


def subscription_changed(sender, instance: Subscription, **kwargs) -> None:
    from infusion_center.versioned_cache import bump

    bump(subscriptions_scope(instance.center_id))


def appointment_changed(appointment: Appointment) -> None:
    if not has_subscriptions(appointment.center_id):
        return
    event = appointment_event(appointment)
    if event is not None:
        enqueue(
            center_id=appointment.center_id, event=event, data=lambda clinical: _appointment_data(appointment, clinical)
        )


def plan_changed(change: str, record: object) -> None:
    if isinstance(record, Order):
        event, center_id = EventType.ORDER_CHANGED, record.patient.center_id
        build: Callable[[bool], dict] = lambda clinical: _order_data(record, change, clinical)  # noqa: E731
    elif isinstance(record, PriorAuthorization):
        event, center_id = EventType.AUTHORIZATION_CHANGED, record.patient.center_id
        build = lambda clinical: _authorization_data(record, change, clinical)  # noqa: E731
    else:
        return
    enqueue(center_id=center_id, event=event, data=build)


def enqueue(*, center_id: int, event: str, data: Callable[[bool], dict]) -> list[int]:
    """One delivery per active subscription of the center that wants the event; sent after commit."""
    subscriptions = [s for s in Subscription.objects.filter(center_id=center_id, is_active=True) if s.wants(event)]
    if not subscriptions:
        return []
    event_id = uuid.uuid4()
    now = timezone.now()
    bodies: dict[bool, str] = {}
    rows = []
    for subscription in subscriptions:
        clinical = subscription.is_clinical
        if clinical not in bodies:
            envelope = {
                "id": str(event_id),
                "type": event,
                "created_at": now.isoformat(timespec="seconds"),
                "center": center_id,
                "data": data(clinical),
            }
            bodies[clinical] = json.dumps(envelope, sort_keys=True, separators=(",", ":"), default=str)
        rows.append(
            Delivery(
                subscription=subscription, event_id=event_id, event=event, body=bodies[clinical], next_attempt_at=now
            )
        )
    ids = [row.pk for row in Delivery.objects.bulk_create(rows)]
    transaction.on_commit(lambda: _publish(ids))
    return ids


def _publish(ids: list[int]) -> None:
    from webhooks.tasks import publish_deliveries

    publish_deliveries(ids)


def ping(subscription: Subscription) -> list[int]:
    return (
        enqueue(
            center_id=subscription.center_id,
            event=PING,
            data=lambda clinical: {"subscription": subscription.pk, "message": "Test event from the center setup."},
        )
        if subscription.is_active
        else []
    )


# --- Payloads ----------------------------------------------------------------------------------------


def _patient(patient_id: int, mrn: str) -> dict:
    return {"id": patient_id, "mrn": mrn, "fhir": f"Patient/{patient_id}"}


def _appointment_data(appointment: Appointment, clinical: bool) -> dict:
    tz = appointment.center.tzinfo
    body: dict = {
        "id": appointment.pk,
        "fhir": f"Appointment/{appointment.pk}",
        "status": appointment.status,
        "start": appointment.start.astimezone(tz).isoformat(),
        "end": appointment.end.astimezone(tz).isoformat(),
        "chair": {"id": appointment.chair_id, "label": appointment.chair.label},
        "patient": _patient(appointment.patient_id, appointment.patient.mrn),
    }
    if appointment.status == AppointmentStatus.CANCELLED:
        body["cancelled_by"] = appointment.cancelled_by
    if clinical:
        protocol = appointment.protocol
        body["protocol"] = {"code": protocol.code, "name": protocol.name, "drug": protocol.drug}
        body["dose_number"] = appointment.dose_number
        if appointment.cancel_reason:
            body["cancel_reason"] = appointment.cancel_reason
    return {"appointment": body}


def _order_data(order: Order, change: str, clinical: bool) -> dict:
    body: dict = {
        "id": order.pk,
        "fhir": f"ServiceRequest/{order.pk}",
        "change": change,
        "patient": _patient(order.patient_id, order.patient.mrn),
        "is_active": order.is_active,
        "start_date": order.start_date.isoformat() if order.start_date else None,
        "valid_until": order.valid_until.isoformat() if order.valid_until else None,
        "first_dose_number": order.first_dose_number,
        "dose_count": order.dose_count,
    }
    if clinical:
        protocol = order.protocol
        body["protocol"] = {"code": protocol.code, "name": protocol.name, "drug": protocol.drug}
        body["ordering_provider"] = order.ordering_provider
    return {"order": body}


def _authorization_data(authorization: PriorAuthorization, change: str, clinical: bool) -> dict:
    body: dict = {
        "id": authorization.pk,
        "fhir": f"ClaimResponse/{authorization.pk}",
        "change": change,
        "order": authorization.order_id,
        "patient": _patient(authorization.patient_id, authorization.patient.mrn),
        "status": authorization.status,
        "payer": authorization.payer,
        "reference_number": authorization.reference_number,
        "approved_from": authorization.approved_from.isoformat() if authorization.approved_from else None,
        "approved_until": authorization.approved_until.isoformat() if authorization.approved_until else None,
        "approved_visits": authorization.approved_visits,
    }
    if clinical:
        protocol = authorization.order.protocol
        body["protocol"] = {"code": protocol.code, "name": protocol.name, "drug": protocol.drug}
    return {"authorization": body}
