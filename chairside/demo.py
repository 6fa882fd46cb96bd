"""The chair-side records a demo visit needs to go through the chair's gates as a real one would:
the pharmacy's preparation and dispensing (the demo center has a pharmacist), pre-infusion vitals
before the infusion starts, the pre-medications ordered given in their window, and post-observation
vitals before discharge (``chairside.gates``)."""

from __future__ import annotations

import datetime as dt
import random

from chairs.roles import PHARMACY
from chairside.gates import pharmacy_dispenses
from chairside.models import PremedicationOrder, PreparationStatus
from chairside.services import record_premedication_given, record_vitals, set_preparation_status
from scheduling.models import Appointment


def document_before(*, appointment: Appointment, action: str, nurse, moment: dt.datetime, rng: random.Random) -> None:
    """Record what ``action`` at ``moment`` needs first (nothing for other steps)."""
    if action == "start_infusion":
        if pharmacy_dispenses(appointment):
            pharmacist = appointment.center.staff.filter(groups__name=PHARMACY, is_active=True).first()
            for step, minutes in ((PreparationStatus.PREPARED, 40), (PreparationStatus.DISPENSED, 5)):
                now = moment - dt.timedelta(minutes=minutes)
                set_preparation_status(actor=pharmacist, appointment=appointment, status=step, now=now)
        _vitals(appointment, nurse, "pre", moment - dt.timedelta(minutes=2), rng)
        for order in PremedicationOrder.objects.filter(
            patient_id=appointment.patient_id, protocol_id=appointment.protocol_id, is_active=True
        ):
            given_at = moment - dt.timedelta(minutes=order.minutes_before)
            record_premedication_given(actor=nurse, appointment=appointment, order=order, given_at=given_at)
    elif action == "complete":
        _vitals(appointment, nurse, "post", moment - dt.timedelta(minutes=2), rng)


def _vitals(appointment, nurse, phase, taken_at, rng) -> None:
    record_vitals(
        actor=nurse,
        appointment=appointment,
        phase=phase,
        taken_at=taken_at,
        systolic=rng.randint(105, 145),
        diastolic=rng.randint(62, 90),
        pulse=rng.randint(58, 96),
        spo2=rng.randint(95, 100),
    )
