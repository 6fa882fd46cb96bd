"""Dose plans of many appointments at once (the board, arrivals, the pharmacy queue), in a fixed
number of queries: the protocols' regimen rows, the patients' latest weights and their reactions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Prefetch

from chairside.models import InfusionReaction
from regimens.dosing import DosePlan, PatientFacts, RegimenRows, dose_plan
from regimens.models import DoseAmount, PatientWeight, RateLadder, RateStep, Regimen, WeightBand
from scheduling.models import Appointment


def _load_regimen_rows(protocols: dict[int, object]) -> None:
    ids = list(protocols)
    regimens = {r.protocol_id: r for r in Regimen.objects.filter(protocol_id__in=ids)}
    grouped: dict[str, dict[int, list]] = {
        "amounts": defaultdict(list),
        "bands": defaultdict(list),
        "ladders": defaultdict(list),
    }
    for row in DoseAmount.objects.filter(protocol_id__in=ids):
        grouped["amounts"][row.protocol_id].append(row)
    for row in WeightBand.objects.filter(protocol_id__in=ids):
        grouped["bands"][row.protocol_id].append(row)
    steps = Prefetch("steps", queryset=RateStep.objects.order_by("position"))
    for row in RateLadder.objects.filter(protocol_id__in=ids).prefetch_related(steps):
        grouped["ladders"][row.protocol_id].append(row)
    for pk, protocol in protocols.items():
        protocol._regimen_rows = RegimenRows(  # type: ignore[attr-defined]  # read by regimens.dosing
            regimen=regimens.get(pk),
            amounts=tuple(grouped["amounts"][pk]),
            bands=tuple(grouped["bands"][pk]),
            ladders=tuple(grouped["ladders"][pk]),
        )


def dose_plans_for(appointments: Iterable[Appointment], *, tz=None) -> dict[int, DosePlan]:
    """Each appointment's dose plan on its own local day (in ``tz``, the center's zone), keyed by
    appointment id, in seven queries however many appointments."""
    appointments = list(appointments)
    if not appointments:
        return {}
    protocols: dict[int, object] = {}
    for a in appointments:
        a.protocol = protocols.setdefault(a.protocol_id, a.protocol)
    uncached = {pk: p for pk, p in protocols.items() if getattr(p, "_regimen_rows", None) is None}
    if uncached:
        _load_regimen_rows(uncached)
    patient_ids = {a.patient_id for a in appointments}
    weights = {
        w.patient_id: w
        for w in PatientWeight.objects.filter(patient_id__in=patient_ids)
        .order_by("patient_id", "-measured_on", "-recorded_at")
        .distinct("patient_id")
    }
    reactions: dict[tuple[int, int], list] = defaultdict(list)
    for r in InfusionReaction.objects.filter(patient_id__in=patient_ids).select_related("appointment"):
        reactions[(r.patient_id, r.protocol_id)].append(r)
    plans = {}
    for a in appointments:
        facts = PatientFacts(
            weight=weights.get(a.patient_id), reactions=tuple(reactions[(a.patient_id, a.protocol_id)])
        )
        on = a.start.astimezone(tz).date() if tz else a.start.date()
        plans[a.pk] = dose_plan(protocol=a.protocol, dose_number=a.dose_number, facts=facts, on=on)
    return plans


def attach_dose_plans(appointments: Iterable[Appointment], *, tz=None) -> None:
    """Set ``appointment.dose_plan`` on each (for templates)."""
    appointments = list(appointments)
    plans = dose_plans_for(appointments, tz=tz)
    for a in appointments:
        a.dose_plan = plans[a.pk]  # type: ignore[attr-defined]
