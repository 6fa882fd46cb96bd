"""Readiness reads only the dose history its rules can use, and answers as it would with all of it.

``_Facts.load`` reads, of each patient's earlier appointments of a protocol, the rows from an
authorization's first day to the batch's latest start (visits used up) and the one dose just before
each appointment (a check after the previous dose) — not the whole history. Here readiness over a
varied batch (several patients and protocols, visit-limited authorizations with and without dates,
cancelled and no-show visits, future bookings, a moved appointment, an unsaved draft; a part of each
patient's appointments, the rest history) is compared
with readiness computed from facts holding the whole history, as they did before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import defaultdict

import pytest

from scheduling.models import BLOCKING_STATUSES, Appointment, AppointmentStatus
from tests.factories import AppointmentFactory, ChairFactory, PatientFactory
from tests.treatment.conftest import TODAY, at, make_order
from treatment.models import DocumentResult, PrerequisiteDocument
from treatment.readiness import _assess_one, _Facts, assess

STATUSES = [
    AppointmentStatus.FULFILLED,
    AppointmentStatus.FULFILLED,
    AppointmentStatus.BOOKED,
    AppointmentStatus.CANCELLED,
    AppointmentStatus.NOSHOW,
]


def whole_history(appointments) -> _Facts:
    """The facts readiness used to load: every active appointment of the patients and protocols."""
    facts = _Facts.load(appointments)
    history: dict = defaultdict(list)
    rows = Appointment.objects.filter(
        patient_id__in={a.patient_id for a in appointments},
        protocol_id__in={a.protocol_id for a in appointments},
        status__in=BLOCKING_STATUSES,
    ).values_list("patient_id", "protocol_id", "start", "pk")
    for patient_id, protocol_id, start, pk in rows:
        history[(patient_id, protocol_id)].append((start, pk))
    return dataclasses.replace(facts, visits=history, doses=history)


@pytest.fixture
def varied(library, center):
    rng = random.Random(16)
    first = dt.date(2026, 9, 1)
    batch = []
    for n in range(8):
        patient = PatientFactory(center=center)
        chair = ChairFactory(center=center, label=f"H{n}")
        for offset, code in enumerate(rng.sample(["lec", "don", "nat", "ocr"], 2)):
            protocol = library[code]
            make_order(
                patient,
                protocol,
                start=dt.date(2026, 8, 1),
                visits=rng.choice([None, 2, 4, 6]),
                auth_from=rng.choice([None, dt.date(2026, 10, 1), dt.date(2026, 11, 15)]),
                auth_until=dt.date(2027, 6, 1),
            )
            for dose in range(1, 10):
                day = first + dt.timedelta(days=14 * dose + 7 * offset + n % 3)
                status = rng.choice(STATUSES) if day < TODAY else AppointmentStatus.BOOKED
                batch.append(
                    AppointmentFactory(
                        center=center,
                        chair=chair,
                        patient=patient,
                        protocol=protocol,
                        dose_number=dose,
                        start=at(day, 8 + offset * 5),
                        status=status,
                    )
                )
            if code in ("lec", "don"):
                for _ in range(3):
                    PrerequisiteDocument.objects.create(
                        patient=patient,
                        kind="mri",
                        performed_on=first + dt.timedelta(days=rng.randrange(0, 150)),
                        result=rng.choice([DocumentResult.ACCEPTABLE, DocumentResult.PENDING]),
                    )
    moved = Appointment.objects.get(pk=batch[5].pk)
    moved.start += dt.timedelta(days=20)  # being moved: its row still holds the old start
    draft = Appointment(
        center=center,
        chair=batch[0].chair,
        patient=batch[0].patient,
        protocol=batch[0].protocol,
        dose_number=10,
        start=at(first + dt.timedelta(days=160)),
        end=at(first + dt.timedelta(days=160), 12),
    )
    # Some of each patient's appointments, as a day's screen or a patient's plan asks for: the others
    # are history the rules read from the database.
    return [a for a in batch if a.status in BLOCKING_STATUSES and rng.random() < 0.4] + [moved, draft]


@pytest.mark.parametrize("today", [TODAY, dt.date(2026, 10, 20)])
def test_narrow_history_answers_as_the_whole_history(varied, today):
    full = whole_history(varied)
    expected = [_assess_one(a, full, today) for a in varied]
    assert assess(varied, today=today) == expected
    codes = {item.code for r in expected for item in r.missing}
    # The batch exercises both rules that read the history, each both ways.
    assert "authorization_visits_used" in codes
    assert {"mri_missing", "mri_pending"} & codes
    assert any(r.ready for r in expected)
