"""Every chair-side write: vitals, reactions, lots, rates given, pre-medications given, allergies,
pre-medication orders, weights and the pharmacy's preparation status. Each records who made it
(django-simple-history). The pages and the API call these same functions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from chairs.roles import CENTER_ADMIN, NURSE, PHARMACY, Actor, has_role
from chairside.errors import ChairSideInvalid
from chairside.models import (
    Allergy,
    DosePreparation,
    DrugLot,
    InfusionReaction,
    PremedicationGiven,
    PremedicationOrder,
    PreparationStatus,
    RateGiven,
    VitalSigns,
)
from patients.models import Patient
from regimens.models import PatientWeight
from scheduling.errors import ActionNotPermitted
from scheduling.models import Appointment, AppointmentStatus, Protocol

IN_CHAIR = AppointmentStatus.CHECKED_IN
WASTE_ON_NOSHOW = "No-show after preparation."


def _save(obj, *, actor: Actor) -> None:
    obj._history_user = actor
    obj.full_clean()
    obj.save()


def _refuse_unless_clinical(actor: Actor) -> None:
    if actor is None or not has_role(actor, NURSE, CENTER_ADMIN):
        raise ActionNotPermitted("Only nurses and center administrators may document at the chair.")


def _refuse_unless_seated(appointment: Appointment, what: str) -> None:
    if appointment.status not in (AppointmentStatus.ARRIVED, IN_CHAIR, AppointmentStatus.FULFILLED):
        raise ChairSideInvalid(f"{what} can be recorded only for a patient who has arrived.", code="not_at_chair")


def record_vitals(
    *, actor: Actor, appointment: Appointment, phase: str, taken_at: dt.datetime | None = None, **values
) -> VitalSigns:
    _refuse_unless_clinical(actor)
    _refuse_unless_seated(appointment, "Vital signs")
    vitals = VitalSigns(
        appointment=appointment, phase=phase, taken_at=taken_at or timezone.now(), recorded_by=actor, **values
    )
    _save(vitals, actor=actor)
    return vitals


def record_reaction(
    *,
    actor: Actor,
    appointment: Appointment,
    grade: int,
    symptoms: list[str],
    action: str,
    treatment_given: str = "",
    premedication_change: str = "",
    notes: str = "",
    onset_at: dt.datetime | None = None,
) -> InfusionReaction:
    """Document an infusion reaction; the patient's later doses of the protocol then need more
    (``regimens.dosing.dose_plan``), shown when they are booked and at the chair."""
    _refuse_unless_clinical(actor)
    if appointment.status != IN_CHAIR and appointment.status != AppointmentStatus.FULFILLED:
        raise ChairSideInvalid(
            "A reaction is recorded for a patient in the chair (or just discharged).", code="not_at_chair"
        )
    reaction = InfusionReaction(
        appointment=appointment,
        patient_id=appointment.patient_id,
        protocol_id=appointment.protocol_id,
        onset_at=onset_at or timezone.now(),
        grade=grade,
        symptoms=symptoms,
        action=action,
        treatment_given=treatment_given.strip(),
        premedication_change=premedication_change.strip(),
        notes=notes.strip(),
        recorded_by=actor,
    )
    _save(reaction, actor=actor)
    return reaction


def record_lot(*, actor: Actor, appointment: Appointment, lot_number: str, expires_on: dt.date) -> DrugLot:
    _refuse_unless_clinical(actor)
    given_on = appointment.start.astimezone(appointment.center.tzinfo).date()
    if expires_on < given_on:
        raise ChairSideInvalid(f"Lot {lot_number} expired on {expires_on:%Y-%m-%d}: do not use it.", code="lot_expired")
    lot = DrugLot(appointment=appointment, lot_number=lot_number.strip(), expires_on=expires_on, recorded_by=actor)
    _save(lot, actor=actor)
    return lot


def record_rate(
    *, actor: Actor, appointment: Appointment, rate_ml_per_h: Decimal, started_at: dt.datetime | None = None
) -> RateGiven:
    _refuse_unless_clinical(actor)
    if appointment.status != IN_CHAIR:
        raise ChairSideInvalid("Rates are recorded while the patient is in the chair.", code="not_at_chair")
    rate = RateGiven(
        appointment=appointment, rate_ml_per_h=rate_ml_per_h, started_at=started_at or timezone.now(), recorded_by=actor
    )
    _save(rate, actor=actor)
    return rate


def record_premedication_given(
    *,
    actor: Actor,
    appointment: Appointment,
    order: PremedicationOrder | None = None,
    drug: str = "",
    dose: str = "",
    given_at: dt.datetime | None = None,
) -> PremedicationGiven:
    """Record a pre-medication as given (by ``actor``, at ``given_at``, default now): the infusion starts
    only once every active order is given within its window (``chairside.gates``)."""
    _refuse_unless_clinical(actor)
    if appointment.status not in (AppointmentStatus.ARRIVED, IN_CHAIR):
        raise ChairSideInvalid(
            "A pre-medication is recorded for a patient who has arrived and is not yet discharged.",
            code="not_at_chair",
        )
    if order is not None and (order.patient_id, order.protocol_id) != (appointment.patient_id, appointment.protocol_id):
        raise ChairSideInvalid("That pre-medication order is not for this patient's protocol.", code="wrong_order")
    now = timezone.now()
    given_at = given_at or now
    if given_at > now + dt.timedelta(minutes=1):
        raise ChairSideInvalid("A pre-medication cannot be given in the future.", code="given_in_future")
    given = PremedicationGiven(
        appointment=appointment,
        order=order,
        drug=(drug.strip() or (order.drug if order else "")),
        dose=(dose.strip() or (order.dose if order else "")),
        given_at=given_at,
        given_by=actor,
    )
    _save(given, actor=actor)
    return given


def record_weight(*, actor: Actor, patient: Patient, kg: Decimal, measured_on: dt.date) -> PatientWeight:
    if measured_on > timezone.localdate() + dt.timedelta(days=1):
        raise ChairSideInvalid("A weight cannot be measured in the future.", code="weight_in_future")
    weight = PatientWeight(patient=patient, kg=kg, measured_on=measured_on, recorded_by=actor)
    _save(weight, actor=actor)
    return weight


def add_allergy(*, actor: Actor, patient: Patient, substance: str, severity: str, reaction: str = "") -> Allergy:
    allergy = Allergy(
        patient=patient, substance=substance.strip(), severity=severity, reaction=reaction.strip(), recorded_by=actor
    )
    _save(allergy, actor=actor)
    return allergy


def set_allergy_active(*, actor: Actor, allergy: Allergy, is_active: bool) -> Allergy:
    allergy.is_active = is_active
    _save(allergy, actor=actor)
    return allergy


def add_premedication(
    *,
    actor: Actor,
    patient: Patient,
    protocol: Protocol,
    drug: str,
    dose: str,
    minutes_before: int,
    window_minutes: int = 30,
) -> PremedicationOrder:
    order = PremedicationOrder(
        patient=patient,
        protocol=protocol,
        drug=drug.strip(),
        dose=dose.strip(),
        minutes_before=minutes_before,
        window_minutes=window_minutes,
    )
    _save(order, actor=actor)
    return order


def stop_premedication(*, actor: Actor, order: PremedicationOrder) -> PremedicationOrder:
    order.is_active = False
    _save(order, actor=actor)
    return order


# --- The pharmacy --------------------------------------------------------------------------------

PREPARATION_STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    # target: (statuses it may follow, timestamp)
    PreparationStatus.PREPARED: ((PreparationStatus.TO_PREPARE,), "prepared_at"),
    PreparationStatus.DISPENSED: ((PreparationStatus.PREPARED,), "dispensed_at"),
    PreparationStatus.WASTED: ((PreparationStatus.PREPARED, PreparationStatus.DISPENSED), "wasted_at"),
    PreparationStatus.TO_PREPARE: ((PreparationStatus.PREPARED,), ""),  # undo a preparation marked by mistake
}


@transaction.atomic
def set_preparation_status(
    *, actor: Actor, appointment: Appointment, status: str, reason: str = "", now: dt.datetime | None = None
) -> DosePreparation:
    """Move the dose's preparation one step (to prepare → prepared → dispensed; prepared or dispensed → wasted).

    Only pharmacy staff and center administrators of the appointment's center (or the system, for the
    no-show waste: ``actor=None``) may do it.
    """
    if actor is not None:
        if not has_role(actor, PHARMACY, CENTER_ADMIN):
            raise ActionNotPermitted("Only pharmacy staff and center administrators may change a dose's preparation.")
        if not actor.is_superuser and not actor.centers.filter(pk=appointment.center_id).exists():
            raise ActionNotPermitted("You do not work at this appointment's center.")
    if status not in PREPARATION_STEPS:
        raise ChairSideInvalid(f"Unknown preparation status “{status}”.", code="unknown_status")
    preparation, _ = DosePreparation.objects.select_for_update().get_or_create(appointment=appointment)
    sources, stamp = PREPARATION_STEPS[status]
    if preparation.status not in sources:
        raise ChairSideInvalid(
            f"A dose that is {preparation.get_status_display().lower()} cannot become "
            f"{PreparationStatus(status).label.lower()}.",
            code="invalid_preparation_step",
        )
    if status == PreparationStatus.DISPENSED and appointment.status not in (AppointmentStatus.ARRIVED, IN_CHAIR):
        raise ChairSideInvalid("A dose is dispensed only once the patient has arrived.", code="patient_not_arrived")
    preparation.status = status
    if stamp:
        setattr(preparation, stamp, now or timezone.now())
    if status == PreparationStatus.WASTED:
        preparation.waste_reason = (reason.strip() or "Wasted.")[:120]
    if status == PreparationStatus.TO_PREPARE:
        preparation.prepared_at = None
    _save(preparation, actor=actor)
    return preparation


def waste_prepared_dose_of_no_show(appointment: Appointment) -> None:
    """A no-show (or same-day cancellation) after the dose was prepared wastes it (an appointment hook)."""
    if appointment.status not in (AppointmentStatus.NOSHOW, AppointmentStatus.CANCELLED):
        return
    preparation = DosePreparation.objects.filter(
        appointment=appointment, status__in=(PreparationStatus.PREPARED, PreparationStatus.DISPENSED)
    ).first()
    if preparation is None:
        return
    set_preparation_status(actor=None, appointment=appointment, status=PreparationStatus.WASTED, reason=WASTE_ON_NOSHOW)
