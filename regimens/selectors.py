"""Dose plans of many appointments at once (the board, arrivals, the pharmacy queue), in a fixed
number of queries: the protocols' regimen rows, the patients' latest weights and their reactions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Prefetch

from chairside.models import InfusionReaction
from regimens.dosing import DosePlan, PatientFacts, RegimenRows, dose_plan, forget_regimen_rows, regimen_rows
from regimens.models import Course, DoseAmount, PatientWeight, RateLadder, RateStep, Regimen, WeightBand
from scheduling.models import Appointment, Protocol


def _load_regimen_rows(protocols: dict[int, Protocol], *, amounts_only: bool) -> None:
    """Read the protocols' regimen rows in one query per kind; ``amounts_only`` (a board tile) skips the
    ladders, and the regimen itself unless a dose depends on a weight, and takes the rows from the
    versioned cache (``regimen_rows``: no query while no protocol or regimen row changed)."""
    if amounts_only:
        for protocol in protocols.values():
            if getattr(protocol, "_regimen_rows_partial", False):
                forget_regimen_rows(protocol)
            rows = regimen_rows(protocol)
            by_weight = bool(rows.bands) or any(a.is_by_weight for a in rows.amounts)
            protocol._regimen_rows = RegimenRows(  # type: ignore[attr-defined]  # read by regimens.dosing
                regimen=rows.regimen if by_weight else None, amounts=rows.amounts, bands=rows.bands, ladders=()
            )
            protocol._regimen_rows_partial = True  # type: ignore[attr-defined]
        return
    ids = list(protocols)
    amounts: dict[int, list[DoseAmount]] = defaultdict(list)
    bands: dict[int, list[WeightBand]] = defaultdict(list)
    ladders: dict[int, list[RateLadder]] = defaultdict(list)
    for amount in DoseAmount.objects.filter(protocol_id__in=ids):
        amounts[amount.protocol_id].append(amount)
    for band in WeightBand.objects.filter(protocol_id__in=ids):
        bands[band.protocol_id].append(band)
    weighted = {pk for pk, rows in amounts.items() if any(a.is_by_weight for a in rows)} | set(bands)
    wanted = weighted if amounts_only else set(ids)
    regimens = {r.protocol_id: r for r in Regimen.objects.filter(protocol_id__in=wanted)} if wanted else {}
    if not amounts_only:
        steps = Prefetch("steps", queryset=RateStep.objects.order_by("position"))
        for ladder in RateLadder.objects.filter(protocol_id__in=ids).prefetch_related(steps):
            ladders[ladder.protocol_id].append(ladder)
    for pk, protocol in protocols.items():
        protocol._regimen_rows = RegimenRows(  # type: ignore[attr-defined]  # read by regimens.dosing
            regimen=regimens.get(pk),
            amounts=tuple(amounts[pk]),
            bands=tuple(bands[pk]),
            ladders=tuple(ladders[pk]),
        )
        protocol._regimen_rows_partial = amounts_only  # type: ignore[attr-defined]


def dose_plans_for(appointments: Iterable[Appointment], *, tz=None, amounts_only: bool = False) -> dict[int, DosePlan]:
    """Each appointment's dose plan on its own local day (in ``tz``, the center's zone), keyed by
    appointment id, in a fixed number of queries however many appointments (at most eight).

    ``amounts_only`` is for a board tile, which shows the amount and the weight: the rate ladders
    and the reactions to earlier doses (infusion and observation minutes) are not read, so those
    plans' minutes are the protocol's.
    """
    appointments = list(appointments)
    if not appointments:
        return {}
    protocols: dict[int, Protocol] = {}
    for a in appointments:
        a.protocol = protocols.setdefault(a.protocol_id, a.protocol)
    _load_regimen_rows(protocols, amounts_only=amounts_only)
    by_weight = {pk for pk, p in protocols.items() if p._regimen_rows.regimen is not None} if amounts_only else None  # type: ignore[attr-defined]
    patient_ids = {a.patient_id for a in appointments if by_weight is None or a.protocol_id in by_weight}
    weights = (
        {
            w.patient_id: w
            for w in PatientWeight.objects.filter(patient_id__in=patient_ids)
            .order_by("patient_id", "-measured_on", "-recorded_at")
            .distinct("patient_id")
        }
        if patient_ids
        else {}
    )
    reactions: dict[tuple[int, int], list] = defaultdict(list)
    if not amounts_only:
        for r in InfusionReaction.objects.filter(patient_id__in=patient_ids).select_related("appointment"):
            reactions[(r.patient_id, r.protocol_id)].append(r)
    # Booked course lengths, read only where a protocol's amount is a total over a course (IVIG).
    course_protocols = {pk for pk, p in protocols.items() if any(x.is_course_total for x in p._regimen_rows.amounts)}  # type: ignore[attr-defined]
    courses: dict[tuple[int, int], list[Course]] = defaultdict(list)
    if course_protocols:
        course_patients = {a.patient_id for a in appointments if a.protocol_id in course_protocols}
        for c in Course.objects.filter(patient_id__in=course_patients, protocol_id__in=course_protocols):
            courses[(c.patient_id, c.protocol_id)].append(c)
    plans = {}
    for a in appointments:
        key = (a.patient_id, a.protocol_id)
        facts = PatientFacts(
            weight=weights.get(a.patient_id), reactions=tuple(reactions[key]), courses=tuple(courses[key])
        )
        on = a.start.astimezone(tz).date() if tz else a.start.date()
        plans[a.pk] = dose_plan(protocol=a.protocol, dose_number=a.dose_number, facts=facts, on=on)
    for protocol in protocols.values():
        if getattr(protocol, "_regimen_rows_partial", False):
            forget_regimen_rows(protocol)  # never leave partial rows for a later full plan
    return plans


def attach_dose_plans(appointments: Iterable[Appointment], *, tz=None) -> None:
    """Set ``appointment.dose_plan`` on each (for templates)."""
    appointments = list(appointments)
    plans = dose_plans_for(appointments, tz=tz)
    for a in appointments:
        a.dose_plan = plans[a.pk]  # type: ignore[attr-defined]
