"""The chair-side gates of the state machine (``scheduling.services.transition`` asks :func:`chair_gate`).

- **Seat**: the patient's active allergies against the drug of the protocol and the pre-medication
  ordered for it (``allergy_conflict``) — a nurse cannot seat the patient until the allergy or the
  order is resolved.
- **Start infusion**: a dose prepared by the pharmacy must have been dispensed (``dose_not_dispensed``)
  where the center has pharmacy staff to dispense it; every active pre-medication order of the patient
  for the protocol must be recorded as given within its timing window before the infusion
  (``premedication_not_given``, ``premedication_too_early``, ``premedication_too_recent``); and
  pre-infusion vital signs must be recorded (``vitals_pre_missing``).
- **Discharge**: post-observation vital signs must be recorded (``vitals_post_missing``), unless the
  nurse says why they could not be taken (the patient declined them, was transferred to the emergency
  department…): that reason is kept with the discharge in the appointment's history.

The vital-signs rules hold for every protocol with a regimen (the library gives every library
protocol one; its ``vitals_interval_minutes`` sets the during-infusion interval, which is shown as
overdue on the chair-side page and the board rather than refused: time passing cannot be refused).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from chairs.roles import PHARMACY
from chairside.errors import ChairSideRefused
from chairside.models import (
    Allergy,
    DosePreparation,
    PremedicationGiven,
    PremedicationOrder,
    PreparationStatus,
    VitalSigns,
    VitalsPhase,
)
from scheduling.errors import Reason
from scheduling.models import Appointment


def _matches(substance: str, *names: str) -> bool:
    needle = substance.strip().lower()
    return bool(needle) and any(needle in name.lower() or name.lower() in needle for name in names if name.strip())


def allergy_conflicts(appointment: Appointment) -> list[Reason]:
    """Active allergies of the patient to the protocol's drug or to a pre-medication ordered for it."""
    protocol = appointment.protocol
    allergies = list(Allergy.objects.filter(patient_id=appointment.patient_id, is_active=True))
    if not allergies:
        return []
    premeds = list(
        PremedicationOrder.objects.filter(patient_id=appointment.patient_id, protocol=protocol, is_active=True)
    )
    reasons = []
    for allergy in allergies:
        if _matches(allergy.substance, protocol.drug, protocol.brand):
            reasons.append(
                Reason(
                    "allergy_conflict",
                    f"Allergy to {allergy.substance} ({allergy.get_severity_display().lower()}) recorded: "
                    "it matches the drug of this protocol; resolve it with the prescriber before seating.",
                )
            )
        for premed in premeds:
            if _matches(allergy.substance, premed.drug):
                reasons.append(
                    Reason(
                        "allergy_conflict",
                        f"Allergy to {allergy.substance} recorded: the pre-medication {premed.drug} is ordered; "
                        "change the order before seating.",
                    )
                )
    return reasons


def pharmacy_dispenses(appointment: Appointment) -> bool:
    """Whether this dose must come from the pharmacy: the protocol's regimen says so and the center has
    pharmacy staff (a center without a pharmacy role prepares at the chair)."""
    from regimens.dosing import regimen_rows

    regimen = regimen_rows(appointment.protocol).regimen
    if regimen is None or not regimen.is_prepared_by_pharmacy:
        return False
    return appointment.center.staff.filter(groups__name=PHARMACY, is_active=True).exists()


def dispensing_refusals(appointment: Appointment) -> list[Reason]:
    if not pharmacy_dispenses(appointment):
        return []
    status = (
        DosePreparation.objects.filter(appointment=appointment).values_list("status", flat=True).first()
        or PreparationStatus.TO_PREPARE
    )
    if status == PreparationStatus.DISPENSED:
        return []
    label = PreparationStatus(status).label.lower()
    return [Reason("dose_not_dispensed", f"The dose is not dispensed by the pharmacy yet ({label}).")]


def _local_time(appointment: Appointment, moment: dt.datetime) -> str:
    return f"{moment.astimezone(appointment.center.tzinfo):%H:%M}"


def premedication_refusals(appointment: Appointment, *, now: dt.datetime) -> list[Reason]:
    """Each active pre-medication order for the dose, given within its window before an infusion starting ``now``."""
    orders = list(
        PremedicationOrder.objects.filter(
            patient_id=appointment.patient_id, protocol_id=appointment.protocol_id, is_active=True
        )
    )
    if not orders:
        return []
    given = list(PremedicationGiven.objects.filter(appointment=appointment).order_by("-given_at"))
    reasons = []
    for order in orders:
        what = f"Pre-medication {order.drug} {order.dose} ({order.timing_label})"
        doses = [g for g in given if g.order_id == order.pk or (g.order_id is None and _matches(g.drug, order.drug))]
        earliest = now - dt.timedelta(minutes=order.earliest_minutes_before)
        latest = now - dt.timedelta(minutes=order.latest_minutes_before)
        if any(earliest <= g.given_at <= latest for g in doses):
            continue
        if not doses:
            reasons.append(Reason("premedication_not_given", f"{what} is not recorded as given."))
        elif doses[0].given_at > latest:  # newest first
            ready = doses[0].given_at + dt.timedelta(minutes=order.latest_minutes_before)
            reasons.append(
                Reason(
                    "premedication_too_recent",
                    f"{what} was given at {_local_time(appointment, doses[0].given_at)}: "
                    f"start the infusion from {_local_time(appointment, ready)}.",
                )
            )
        else:
            reasons.append(
                Reason(
                    "premedication_too_early",
                    f"{what} was given at {_local_time(appointment, doses[0].given_at)}, too long ago: "
                    "give it again (or change the order) before starting.",
                )
            )
    return reasons


def has_vitals_rule(appointment: Appointment) -> bool:
    from regimens.dosing import regimen_rows

    return regimen_rows(appointment.protocol).regimen is not None


def has_post_observation_vitals(appointment: Appointment) -> bool:
    """Post-observation vitals taken since the observation began (or the infusion, if it was not marked)."""
    since = appointment.observation_start_at or appointment.infusion_start_at
    post = VitalSigns.objects.filter(appointment=appointment, phase=VitalsPhase.POST)
    if since is not None:
        post = post.filter(taken_at__gte=since)
    return post.exists()


VITALS_POST_MISSING = "vitals_post_missing"


def vitals_refusals(appointment: Appointment, *, action: str) -> list[Reason]:
    """Pre-infusion vitals before the infusion starts; post-observation vitals before discharge."""
    if action not in ("start_infusion", "complete") or not has_vitals_rule(appointment):
        return []
    if action == "start_infusion":
        if VitalSigns.objects.filter(appointment=appointment, phase=VitalsPhase.PRE).exists():
            return []
        return [Reason("vitals_pre_missing", "Record the pre-infusion vital signs before starting the infusion.")]
    if has_post_observation_vitals(appointment):
        return []
    return [Reason(VITALS_POST_MISSING, "Record the post-observation vital signs before discharging the patient.")]


def chair_gate(
    *, appointment: Appointment, action: str, now: dt.datetime | None = None, vitals_waiver: str = ""
) -> str:
    """Refuse seating, starting the infusion or discharge while a chair-side check is open (see the
    module docstring). Returns what the history keeps of a waived check ("" when none was)."""
    now = now or timezone.now()
    if action == "complete":
        missing = vitals_refusals(appointment, action=action)
        if missing and vitals_waiver.strip():
            return f"No post-observation vital signs: {vitals_waiver.strip()}"
        if missing:
            raise ChairSideRefused(missing)
        return ""
    if action == "seat":
        reasons = allergy_conflicts(appointment)
    elif action == "start_infusion":
        reasons = (
            dispensing_refusals(appointment)
            + premedication_refusals(appointment, now=now)
            + vitals_refusals(appointment, action=action)
        )
    else:
        return ""
    if reasons:
        raise ChairSideRefused(reasons)
    return ""
