"""The chair-side gates of the state machine (``scheduling.services.transition`` asks :func:`chair_gate`).

- **Seat**: the patient's active allergies against the drug of the protocol and the pre-medication
  ordered for it (``allergy_conflict``) — a nurse cannot seat the patient until the allergy or the
  order is resolved.
- **Start infusion**: a dose prepared by the pharmacy must have been dispensed (``dose_not_dispensed``)
  where the center has pharmacy staff to dispense it.
"""

from __future__ import annotations

from chairs.roles import PHARMACY
from chairside.errors import ChairSideRefused
from chairside.models import Allergy, DosePreparation, PremedicationOrder, PreparationStatus
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


def chair_gate(*, appointment: Appointment, action: str) -> None:
    """Refuse seating or starting the infusion while a chair-side check is open (see the module docstring)."""
    if action == "seat":
        reasons = allergy_conflicts(appointment)
    elif action == "start_infusion":
        reasons = dispensing_refusals(appointment)
    else:
        return
    if reasons:
        raise ChairSideRefused(reasons)
