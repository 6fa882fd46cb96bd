"""Our rows as FHIR R4 resources (JSON dicts), one function per resource type.

How the model maps (the README's FHIR section says the same):

* ``Patient/{id}`` — a patient; the MRN is the identifier.
* ``Practitioner/nurse-{id}`` — a nurse (a user with the nurse role); ``Practitioner/provider-{hash}`` —
  an ordering provider as named on the orders (we keep no provider table, so the id is a hash of the name).
* ``Location/{id}`` — a center; ``Location/chair-{id}`` — one of its chairs or beds (``partOf`` the center).
* ``Schedule/{id}`` — the schedule of chair ``id`` (its actor is the chair's Location).
* ``Slot/{chair}-{yyyymmddThhmm}Z-{protocol}-{dose}`` — a free place the slot planner found for a protocol's
  dose on a chair; computed, never stored, so reading one re-checks it (``free`` or ``busy``).
* ``Appointment/{id}`` — an appointment; our statuses *are* FHIR's (``scheduling.models.AppointmentStatus``).
  Participants: the patient, the chair, the center and, when a nurse booked it, that nurse. The protocol
  is the ``serviceType``; the dose number an extension.
* ``ServiceRequest/{id}`` — a doctor's order (intent ``order``, the protocol as code, the period it is valid).
* ``ClaimResponse/{id}`` — a prior authorization (use ``preauthorization``; the payer as the insurer's
  display, the reference number as ``preAuthRef``). We keep no member ids, so no Coverage resource is
  offered: the simplification the README documents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import zoneinfo
from collections.abc import Sequence

from django.contrib.auth.models import User

from chairs.models import Center, Chair, ChairKind
from patients.models import Patient
from scheduling.models import Appointment, CancelledBy, Protocol
from treatment.models import AuthorizationStatus, Order, PriorAuthorization

BASE = "urn:infusion-center:fhir"
MRN_SYSTEM = f"{BASE}:mrn"
STAFF_SYSTEM = f"{BASE}:staff-username"
PROTOCOL_SYSTEM = f"{BASE}:protocol"
DOSE_NUMBER_URL = f"{BASE}:extension:dose-number"
ORDER_URL = f"{BASE}:extension:order"
ORDER_DOSES_URL = f"{BASE}:extension:order-doses"
CANCELLATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/appointment-cancellation-reason"
PHYSICAL_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/location-physical-type"
UTC = zoneinfo.ZoneInfo("UTC")


def instant(moment: dt.datetime | None, tz: dt.tzinfo | None = None) -> str | None:
    if moment is None:
        return None
    text = moment.astimezone(tz or UTC).isoformat(timespec="seconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def _meta(updated: dt.datetime | None) -> dict:
    return {"lastUpdated": instant(updated)} if updated else {}


def _clean(resource: dict) -> dict:
    """FHIR has no nulls and no empty arrays or strings: leave such elements out."""
    return {k: v for k, v in resource.items() if v not in (None, "", [], {})}


def protocol_concept(protocol: Protocol) -> dict:
    return {"coding": [{"system": PROTOCOL_SYSTEM, "code": protocol.code, "display": protocol.name}]}


# --- Patient, Practitioner, Location, Schedule -----------------------------------------------------


def patient(row: Patient) -> dict:
    telecom = []
    if row.phone:
        telecom.append({"system": "phone", "value": str(row.phone), "use": "mobile"})
    if row.email:
        telecom.append({"system": "email", "value": row.email})
    return _clean(
        {
            "resourceType": "Patient",
            "id": str(row.pk),
            "meta": _meta(row.updated_at),
            "identifier": [{"use": "usual", "system": MRN_SYSTEM, "value": row.mrn}],
            "active": True,
            "name": [{"use": "official", "family": row.last_name, "given": [row.first_name], "text": row.full_name}],
            "telecom": telecom,
            "birthDate": row.date_of_birth.isoformat(),
            "communication": [
                {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": row.preferred_language}]}}
            ],
            "managingOrganization": {"display": row.center.name},
        }
    )


def nurse_id(user: User) -> str:
    return f"nurse-{user.pk}"


def provider_id(name: str) -> str:
    return "provider-" + hashlib.sha256(name.strip().lower().encode()).hexdigest()[:16]


def nurse(user: User) -> dict:
    full = user.get_full_name() or user.username
    return _clean(
        {
            "resourceType": "Practitioner",
            "id": nurse_id(user),
            "identifier": [{"system": STAFF_SYSTEM, "value": user.username}],
            "active": user.is_active,
            "name": [
                _clean({"family": user.last_name, "given": [user.first_name] if user.first_name else [], "text": full})
            ],
            "qualification": [{"code": {"text": "Infusion nurse"}}],
        }
    )


def provider(name: str) -> dict:
    return {"resourceType": "Practitioner", "id": provider_id(name), "active": True, "name": [{"text": name}]}


def center_location(center: Center) -> dict:
    return _clean(
        {
            "resourceType": "Location",
            "id": str(center.pk),
            "status": "active",
            "name": center.name,
            "mode": "instance",
            "telecom": [{"system": "phone", "value": str(center.phone)}] if getattr(center, "phone", "") else [],
            "address": {"text": center.address} if center.address else None,
            "physicalType": {"coding": [{"system": PHYSICAL_TYPE_SYSTEM, "code": "bu", "display": "Building"}]},
        }
    )


def chair_location_id(chair: Chair | int) -> str:
    return f"chair-{chair if isinstance(chair, int) else chair.pk}"


def chair_location(chair: Chair) -> dict:
    is_bed = chair.kind == ChairKind.BED
    return {
        "resourceType": "Location",
        "id": chair_location_id(chair),
        "status": "active" if chair.is_active else "inactive",
        "name": f"{chair.center.name} {chair.label}",
        "alias": [chair.label],
        "mode": "instance",
        "physicalType": {
            "coding": [
                {"system": PHYSICAL_TYPE_SYSTEM, "code": "bd", "display": "Bed"}
                if is_bed
                else {"system": PHYSICAL_TYPE_SYSTEM, "code": "area", "display": "Area"}
            ],
            "text": "Bed" if is_bed else "Infusion chair",
        },
        "partOf": {"reference": f"Location/{chair.center_id}", "display": chair.center.name},
    }


def schedule(chair: Chair) -> dict:
    return {
        "resourceType": "Schedule",
        "id": str(chair.pk),
        "active": chair.is_active,
        "actor": [
            {"reference": f"Location/{chair_location_id(chair)}", "display": f"{chair.center.name} {chair.label}"}
        ],
        "comment": "Free slots: Slot?schedule=Schedule/{id}&service-type=<protocol code>&start=ge…".replace(
            "{id}", str(chair.pk)
        ),
    }


# --- Slot ------------------------------------------------------------------------------------------

_SLOT_ID = re.compile(r"^(\d{1,18})-(\d{8}T\d{4})Z-(\d{1,18})-(\d{1,3})$")


def slot_id(*, chair_id: int, start: dt.datetime, protocol_id: int, dose_number: int) -> str:
    return f"{chair_id}-{start.astimezone(UTC):%Y%m%dT%H%M}Z-{protocol_id}-{dose_number}"


def parse_slot_id(text: str) -> tuple[int, dt.datetime, int, int] | None:
    """(chair id, start, protocol id, dose number), or None for an id that is not a slot's."""
    match = _SLOT_ID.match(text)
    if not match:
        return None
    chair, start, protocol, dose = match.groups()
    try:
        moment = dt.datetime.strptime(start, "%Y%m%dT%H%M").replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(chair), moment, int(protocol), int(dose)


def slot(
    *,
    chair: Chair,
    protocol: Protocol,
    dose_number: int,
    start: dt.datetime,
    end: dt.datetime,
    is_free: bool,
    comment: str = "",
) -> dict:
    tz = chair.center.tzinfo
    return _clean(
        {
            "resourceType": "Slot",
            "id": slot_id(chair_id=chair.pk, start=start, protocol_id=protocol.pk, dose_number=dose_number),
            "extension": [{"url": DOSE_NUMBER_URL, "valueInteger": dose_number}],
            "serviceType": [protocol_concept(protocol)],
            "schedule": {"reference": f"Schedule/{chair.pk}", "display": chair.label},
            "status": "free" if is_free else "busy",
            "start": instant(start, tz),
            "end": instant(end, tz),
            "comment": comment,
        }
    )


# --- Appointment -----------------------------------------------------------------------------------


def appointment(row: Appointment, *, identifiers: Sequence[tuple[str, str]] = (), version: int | None = None) -> dict:
    tz = row.center.tzinfo
    participants: list[dict] = [
        {
            "actor": {"reference": f"Patient/{row.patient_id}", "display": row.patient.full_name},
            "required": "required",
            "status": "accepted",
        },
        {
            "actor": {"reference": f"Location/{chair_location_id(row.chair_id)}", "display": row.chair.label},
            "required": "required",
            "status": "accepted",
        },
        {
            "actor": {"reference": f"Location/{row.center_id}", "display": row.center.name},
            "required": "information-only",
            "status": "accepted",
        },
    ]
    booked_by = row.booked_by
    if booked_by is not None and getattr(booked_by, "_is_nurse", False):
        participants.append(
            {
                "type": [{"text": "Booking nurse"}],
                "actor": {"reference": f"Practitioner/{nurse_id(booked_by)}", "display": booked_by.get_full_name()},
                "required": "information-only",
                "status": "accepted",
            }
        )
    meta = _meta(row.updated_at)
    if version is not None:
        meta["versionId"] = str(version)
    cancellation = None
    if row.status == "cancelled":
        code = "pat" if row.cancelled_by == CancelledBy.PATIENT else "prov"
        cancellation = _clean(
            {
                "coding": [{"system": CANCELLATION_SYSTEM, "code": code}],
                "text": row.cancel_reason,
            }
        )
    return _clean(
        {
            "resourceType": "Appointment",
            "id": str(row.pk),
            "meta": meta,
            "extension": [{"url": DOSE_NUMBER_URL, "valueInteger": row.dose_number}],
            "identifier": [{"system": system, "value": value} for system, value in identifiers],
            "status": row.status,
            "cancelationReason": cancellation,
            "serviceType": [protocol_concept(row.protocol)],
            "start": instant(row.start, tz),
            "end": instant(row.end, tz),
            "minutesDuration": row.chair_minutes,
            "created": instant(row.created_at, tz),
            "comment": row.notes,
            "participant": participants,
        }
    )


# --- ServiceRequest (orders), ClaimResponse (prior authorizations) ---------------------------------


def order_status(order: Order, today: dt.date) -> str:
    if not order.is_active:
        return "revoked"
    if order.valid_until is not None and order.valid_until < today:
        return "completed"
    return "active"


def service_request(order: Order, *, today: dt.date, authorization_ids: Sequence[int] = ()) -> dict:
    protocol = order.protocol
    counts: list[dict] = [{"url": "first", "valueInteger": order.first_dose_number}]
    if order.dose_count is not None:
        counts.append({"url": "count", "valueInteger": order.dose_count})
    doses = {"url": ORDER_DOSES_URL, "extension": counts}
    return _clean(
        {
            "resourceType": "ServiceRequest",
            "id": str(order.pk),
            "meta": _meta(order.updated_at),
            "extension": [doses],
            "status": order_status(order, today),
            "intent": "order",
            "code": {**protocol_concept(protocol), "text": f"{protocol.name} ({protocol.drug})"},
            "subject": {"reference": f"Patient/{order.patient_id}", "display": order.patient.full_name},
            "occurrencePeriod": _clean(
                {
                    "start": order.start_date.isoformat(),
                    "end": order.valid_until.isoformat() if order.valid_until else None,
                }
            ),
            "authoredOn": instant(order.created_at),
            "requester": {
                "reference": f"Practitioner/{provider_id(order.ordering_provider)}",
                "display": order.ordering_provider,
            },
            "insurance": [{"reference": f"ClaimResponse/{pk}"} for pk in authorization_ids],
            "note": [{"text": order.notes}] if order.notes else [],
        }
    )


_OUTCOMES: dict[str, str] = {
    AuthorizationStatus.PENDING: "queued",
    AuthorizationStatus.APPROVED: "complete",
    AuthorizationStatus.DENIED: "error",
    AuthorizationStatus.EXPIRED: "complete",
    AuthorizationStatus.NOT_REQUIRED: "complete",
}


def claim_response(row: PriorAuthorization) -> dict:
    notes = []
    if row.approved_visits is not None:
        notes.append({"type": "display", "text": f"{row.approved_visits} visits approved"})
    if row.notes:
        notes.append({"type": "display", "text": row.notes})
    return _clean(
        {
            "resourceType": "ClaimResponse",
            "id": str(row.pk),
            "meta": _meta(row.updated_at),
            "extension": [{"url": ORDER_URL, "valueReference": {"reference": f"ServiceRequest/{row.order_id}"}}],
            "identifier": [{"system": f"{BASE}:authorization-reference", "value": row.reference_number}]
            if row.reference_number
            else [],
            "status": "active",
            "type": {
                "coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "institutional"}]
            },
            "use": "preauthorization",
            "patient": {"reference": f"Patient/{row.patient_id}"},
            "created": instant(row.created_at),
            "insurer": {"display": row.payer},
            "outcome": _OUTCOMES.get(row.status, "queued"),
            "disposition": row.get_status_display(),
            "preAuthRef": row.reference_number,
            "preAuthPeriod": _clean(
                {
                    "start": row.approved_from.isoformat() if row.approved_from else None,
                    "end": row.approved_until.isoformat() if row.approved_until else None,
                }
            ),
            "processNote": notes,
        }
    )
