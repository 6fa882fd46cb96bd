"""FHIR Appointment writes, each through the one door every other path uses.

* ``POST Appointment`` and ``POST Slot/{id}/$book`` → ``scheduling.services.book_appointment`` (the lock
  on the center's day, the planner's re-check, dose rules, readiness): a refusal is the same
  ``BookingRefused`` the API answers with 409, shown as an OperationOutcome.
* ``PUT Appointment/{id}`` → a new ``status`` goes through ``transition()`` (cancelled, arrived,
  checked-in, fulfilled, noshow, entered-in-error, booked again after an undone check-in); a new
  ``start`` or chair through ``move_appointment``; a new ``comment`` through ``change_notes``. One kind of
  change per PUT, so a refusal never leaves half of it done.

What the body says is read leniently (unknown elements are ignored) but every element we act on is
checked: a bad one is a 400 naming its FHIRPath.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from rest_framework import exceptions

from chairs.models import Chair
from fhir_r4 import resources
from fhir_r4.models import AppointmentIdentifier
from infusion_center.api_common import StrictDateTimeField, user_center_ids
from patients.models import Patient
from scheduling import services
from scheduling.models import BLOCKING_STATUSES, Appointment, AppointmentStatus, CancelledBy, Protocol

# New FHIR status -> the state machine's action.
STATUS_ACTIONS = {
    AppointmentStatus.CANCELLED: "cancel",
    AppointmentStatus.ARRIVED: "check_in",
    AppointmentStatus.CHECKED_IN: "seat",
    AppointmentStatus.FULFILLED: "complete",
    AppointmentStatus.NOSHOW: "no_show",
    AppointmentStatus.ENTERED_IN_ERROR: "enter_in_error",
    AppointmentStatus.BOOKED: "undo_check_in",
}
MAX_DOSE = 100


def _bad(path: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({path: [message]})


def _resource(body: Any, resource_type: str) -> dict:
    if not isinstance(body, dict) or body.get("resourceType") != resource_type:
        raise _bad("resourceType", f"Send a {resource_type} resource.")
    return body


def _reference(value: Any, path: str) -> str:
    if not isinstance(value, dict) or not isinstance(value.get("reference"), str):
        raise _bad(path, 'Give a reference, e.g. {"reference": "Patient/12"}.')
    return value["reference"].rstrip("/").split("/fhir/r4/")[-1]


def _participants(appointment: dict) -> tuple[str | None, str | None]:
    """The Patient and the chair (Location/chair-{id}) the participants name."""
    patient = chair = None
    participants = appointment.get("participant", [])
    if not isinstance(participants, list):
        raise _bad("Appointment.participant", "Give a list of participants.")
    for index, participant in enumerate(participants):
        if not isinstance(participant, dict) or "actor" not in participant:
            continue
        reference = _reference(participant["actor"], f"Appointment.participant[{index}].actor")
        if reference.startswith("Patient/"):
            patient = reference.removeprefix("Patient/")
        elif reference.startswith("Location/chair-"):
            chair = reference.removeprefix("Location/chair-")
    return patient, chair


def _patient(request, ident: str | None) -> Patient:
    if ident is None:
        raise _bad("Appointment.participant", "Name the patient: a participant with actor Patient/{id}.")
    if not ident.isdigit() or len(ident) > 18:
        raise _bad("Appointment.participant", "Use the Patient's numeric id.")
    patient = Patient.objects.filter(pk=int(ident), center_id__in=user_center_ids(request.user)).first()
    if patient is None:
        raise exceptions.NotFound("No such Patient among your centers.")
    return patient


def _chair(request, ident: str | int | None) -> Chair:
    if ident is None:
        raise _bad("Appointment.participant", "Name the chair: a participant with actor Location/chair-{id}.")
    if isinstance(ident, str) and (not ident.isdigit() or len(ident) > 18):
        raise _bad("Appointment.participant", "Use the chair's Location id, e.g. Location/chair-7.")
    chair = (
        Chair.objects.filter(pk=int(ident), center_id__in=user_center_ids(request.user))
        .select_related("center")
        .first()
    )
    if chair is None:
        raise exceptions.NotFound("No such chair among your centers.")
    return chair


def _protocol(appointment: dict) -> Protocol:
    codes = [
        coding.get("code")
        for concept in appointment.get("serviceType", []) or []
        if isinstance(concept, dict)
        for coding in concept.get("coding", []) or []
        if isinstance(coding, dict) and coding.get("system") in (resources.PROTOCOL_SYSTEM, None)
    ]
    if not codes or not isinstance(codes[0], str):
        raise _bad("Appointment.serviceType", f"Give the protocol's code (system {resources.PROTOCOL_SYSTEM}).")
    protocol = Protocol.objects.filter(code=codes[0]).first()
    if protocol is None:
        raise _bad("Appointment.serviceType", f"No protocol has the code “{codes[0][:32]}”.")
    return protocol


def _start(value: Any, path: str) -> dt.datetime:
    try:
        return StrictDateTimeField().to_internal_value(value)
    except exceptions.ValidationError as error:
        raise exceptions.ValidationError({path: error.detail}) from error


def _dose_extension(resource: dict) -> int | None:
    for extension in resource.get("extension", []) or []:
        if isinstance(extension, dict) and extension.get("url") == resources.DOSE_NUMBER_URL:
            value = extension.get("valueInteger")
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DOSE:
                raise _bad("Appointment.extension", f"The dose number is a whole number from 1 to {MAX_DOSE}.")
            return value
    return None


def next_dose_number(patient: Patient | None, protocol: Protocol) -> int:
    """The dose after the patient's last booked or given one of the protocol (1 for a new series)."""
    if patient is None:
        return 1
    last = (
        Appointment.objects.filter(patient=patient, protocol=protocol, status__in=BLOCKING_STATUSES)
        .order_by("-dose_number")
        .values_list("dose_number", flat=True)
        .first()
    )
    return (last or 0) + 1


def _identifiers(resource: dict) -> list[tuple[str, str]]:
    pairs = []
    for index, identifier in enumerate(resource.get("identifier", []) or []):
        if not isinstance(identifier, dict) or not isinstance(identifier.get("value"), str):
            raise _bad(f"Appointment.identifier[{index}]", "An identifier needs a value.")
        system = identifier.get("system", "")
        if not isinstance(system, str) or len(system) > 255 or len(identifier["value"]) > 255:
            raise _bad(f"Appointment.identifier[{index}]", "Keep system and value under 255 characters.")
        pairs.append((system, identifier["value"]))
    return pairs


def _comment(resource: dict) -> str:
    comment = resource.get("comment", "")
    if not isinstance(comment, str):
        raise _bad("Appointment.comment", "The comment is text.")
    return comment[:2000]


@transaction.atomic
def _book(
    *,
    actor,
    patient: Patient,
    protocol: Protocol,
    chair: Chair,
    start: dt.datetime,
    dose_number: int,
    notes: str,
    identifiers: list[tuple[str, str]],
) -> Appointment:
    appointment = services.book_appointment(
        actor=actor, patient=patient, protocol=protocol, chair=chair, start=start, dose_number=dose_number, notes=notes
    )
    for system, value in identifiers:
        try:
            with transaction.atomic():
                AppointmentIdentifier.objects.create(appointment=appointment, system=system, value=value)
        except IntegrityError as error:
            raise exceptions.ValidationError(
                {"Appointment.identifier": [f"{system}|{value} already names another appointment."]}
            ) from error
    return appointment


def create_appointment(*, actor, request, body: Any) -> Appointment:
    """POST Appointment: book it, from the participants, start, serviceType and dose (or from ``slot``)."""
    appointment = _resource(body, "Appointment")
    status = appointment.get("status", AppointmentStatus.BOOKED)
    if status not in (AppointmentStatus.BOOKED, AppointmentStatus.PROPOSED, AppointmentStatus.PENDING):
        raise _bad("Appointment.status", "A new appointment is booked (status booked).")
    patient_id, chair_id = _participants(appointment)
    patient = _patient(request, patient_id)
    slots = appointment.get("slot") or []
    if slots:
        reference = _reference(slots[0], "Appointment.slot[0]")
        parsed = resources.parse_slot_id(reference.removeprefix("Slot/"))
        if parsed is None:
            raise _bad("Appointment.slot[0]", "No such Slot.")
        slot_chair, start, protocol_id, dose = parsed
        chair = _chair(request, slot_chair)
        protocol = Protocol.objects.filter(pk=protocol_id).first()
        if protocol is None:
            raise _bad("Appointment.slot[0]", "No such Slot.")
    else:
        chair = _chair(request, chair_id)
        protocol = _protocol(appointment)
        if "start" not in appointment:
            raise _bad("Appointment.start", "Give the start (or a slot).")
        start = _start(appointment["start"], "Appointment.start")
        dose = None
    dose_number = _dose_extension(appointment) or dose or next_dose_number(patient, protocol)
    return _book(
        actor=actor,
        patient=patient,
        protocol=protocol,
        chair=chair,
        start=start,
        dose_number=dose_number,
        notes=_comment(appointment),
        identifiers=_identifiers(appointment),
    )


def book_slot(*, actor, request, slot_id: str, body: Any) -> Appointment:
    """``Slot/{id}/$book`` with a Parameters resource naming the ``patient`` (and optional ``comment`` and
    ``identifier``), or with an Appointment resource."""
    parsed = resources.parse_slot_id(slot_id)
    if parsed is None:
        raise exceptions.NotFound("No such Slot.")
    chair_id, start, protocol_id, dose = parsed
    chair = _chair(request, chair_id)
    protocol = Protocol.objects.filter(pk=protocol_id).first()
    if protocol is None:
        raise exceptions.NotFound("No such Slot.")
    if isinstance(body, dict) and body.get("resourceType") == "Appointment":
        patient_id, _ = _participants(body)
        patient, notes, identifiers = _patient(request, patient_id), _comment(body), _identifiers(body)
    else:
        parameters = _resource(body, "Parameters").get("parameter", [])
        if not isinstance(parameters, list):
            raise _bad("Parameters.parameter", "Give a list of parameters.")
        named = {p.get("name"): p for p in parameters if isinstance(p, dict)}
        if "patient" not in named:
            raise _bad("Parameters.parameter", "Name the patient: a parameter `patient` with a valueReference.")
        reference = _reference(named["patient"].get("valueReference"), "Parameters.parameter[patient]")
        patient = _patient(request, reference.removeprefix("Patient/") if reference.startswith("Patient/") else None)
        notes = str(named.get("comment", {}).get("valueString", ""))[:2000]
        identifiers = []
        if "identifier" in named:
            identifier = named["identifier"].get("valueIdentifier")
            identifiers = _identifiers({"identifier": [identifier]})
    return _book(
        actor=actor,
        patient=patient,
        protocol=protocol,
        chair=chair,
        start=start,
        dose_number=dose,
        notes=notes,
        identifiers=identifiers,
    )


def update_appointment(*, actor, request, appointment: Appointment, body: Any) -> Appointment:
    """PUT Appointment/{id}: one change — the status, the time and chair, or the comment."""
    resource = _resource(body, "Appointment")
    if str(resource.get("id", "")) != str(appointment.pk):
        raise _bad("Appointment.id", "The resource's id must be the id in the URL.")
    status = resource.get("status", appointment.status)
    start = _start(resource["start"], "Appointment.start") if "start" in resource else appointment.start
    _, chair_id = _participants(resource)
    chair = _chair(request, chair_id) if chair_id is not None else appointment.chair
    moved = start != appointment.start or chair.pk != appointment.chair_id
    comment = resource.get("comment", appointment.notes) or ""
    if status != appointment.status:
        if moved:
            raise _bad("Appointment.status", "Change the status or the time, not both in one update.")
        action = STATUS_ACTIONS.get(status)
        if action is None:
            raise _bad("Appointment.status", f"An appointment cannot be set to {str(status)[:20]} here.")
        extra: dict[str, Any] = {}
        if action == "cancel":
            extra = _cancellation(resource)
        return services.transition(actor=actor, appointment=appointment, action=action, **extra)
    if moved:
        return services.move_appointment(actor=actor, appointment=appointment, chair=chair, start=start)
    if comment != appointment.notes:
        return services.change_notes(actor=actor, appointment=appointment, notes=_comment({"comment": comment}))
    return appointment


def _cancellation(resource: dict) -> dict:
    reason = resource.get("cancelationReason") or {}
    if not isinstance(reason, dict):
        raise _bad("Appointment.cancelationReason", "Give a CodeableConcept.")
    codes = [c.get("code") for c in reason.get("coding", []) or [] if isinstance(c, dict)]
    cancelled_by = CancelledBy.PATIENT if "pat" in codes else CancelledBy.CENTER
    text = reason.get("text", "")
    return {"cancelled_by": cancelled_by, "reason": text[:255] if isinstance(text, str) else ""}
