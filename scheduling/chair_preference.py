"""A patient's chair: what they need (a bed: a hard rule) and what they prefer (offered first).

``needs_bed`` narrows every search and booking to beds (:func:`required_kind`, asked by the slot
search, :func:`chair_refusals` by booking, moves and seating). The preferred kind and features
("by a window", a recliner…) never refuse anything: the slot search asks the planner once more
with them as requirements and puts what it finds first (:func:`preferred_first`).
"""

from __future__ import annotations

import dataclasses

from chairs.models import Chair, ChairKind
from patients.models import Patient
from scheduling import planner
from scheduling.errors import Reason


def required_kind(protocol_kind: str | None, patient: Patient | None) -> str | None:
    """The chair kind a search must use: the protocol's, or a bed for a patient who needs one."""
    if patient is not None and patient.needs_bed and not protocol_kind:
        return ChairKind.BED
    return protocol_kind or None


def chair_refusals(*, patient: Patient | None, chair: Chair) -> list[Reason]:
    if patient is not None and patient.needs_bed and chair.kind != ChairKind.BED:
        return [Reason("patient_needs_bed", f"{patient.first_name} needs a bed; {chair.label} is not one.")]
    return []


def has_preference(patient: Patient | None) -> bool:
    return patient is not None and bool(patient.preferred_chair_kind or patient.preferred_chair_features)


def satisfies(patient: Patient, chair: Chair) -> bool:
    """Whether the chair is what the patient prefers (kind and every preferred feature)."""
    if patient.preferred_chair_kind and chair.kind != patient.preferred_chair_kind:
        return False
    return set(patient.preferred_chair_features) <= set(chair.features)


def preferred_chair_ids(*, center, patient: Patient | None) -> frozenset[int]:
    """The center's chairs the patient prefers (empty without a preference), for the pages' badge."""
    if not has_preference(patient):
        return frozenset()
    assert patient is not None
    return frozenset(c.pk for c in Chair.objects.filter(center=center, is_active=True) if satisfies(patient, c))


def preferred_request(request: planner.SlotRequest, patient: Patient | None) -> planner.SlotRequest | None:
    """The same request with the patient's preferences as requirements (None: no preference to add)."""
    if not has_preference(patient):
        return None
    assert patient is not None
    kind = request.required_kind
    if patient.preferred_chair_kind and not kind:
        kind = patient.preferred_chair_kind
    features = request.required_features | frozenset(patient.preferred_chair_features)
    if kind == request.required_kind and features == request.required_features:
        return None
    return dataclasses.replace(request, required_kind=kind, required_features=features)


def preferred_first(preferred: planner.PlanResult, plain: planner.PlanResult) -> planner.PlanResult:
    """Candidates on preferred chairs first (in the planner's order), then the other start times.

    A start time offered on a preferred chair is not offered again on another one; the days'
    reasons stay those of the plain search (the preference refuses nothing).
    """
    offered = {c.start for c in preferred.candidates}
    rest = tuple(c for c in plain.candidates if c.start not in offered)
    return dataclasses.replace(plain, candidates=preferred.candidates + rest)
