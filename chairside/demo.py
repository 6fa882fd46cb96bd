"""The chair-side records a demo visit needs to go through the chair's gates as a real one would:
pre-infusion vitals before the infusion starts, the pre-medications ordered given in their window, and
post-observation vitals before discharge (``chairside.gates``)."""

from __future__ import annotations

import datetime as dt
import random

from chairside.models import PremedicationOrder
from chairside.services import record_premedication_given, record_vitals
from scheduling.models import Appointment


def document_before(*, appointment: Appointment, action: str, nurse, moment: dt.datetime, rng: random.Random) -> None:
    """Record what ``action`` at ``moment`` needs first (nothing for other steps)."""
    if action == "start_infusion":
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
