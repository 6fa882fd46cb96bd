"""An integration engine books through FHIR while a nurse books the same slot on the page, at the same moment:
one wins, the other is refused (an OperationOutcome for the engine, the page's refusal for the nurse), never two
bookings and never a 500. Real concurrent connections, so the lock on the center's day and the exclusion
constraint are what decide."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from scheduling.models import Appointment
from tests.api.conftest import DAY, at, client_for
from tests.factories import ChairFactory, NurseShiftFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 4


def _together(*works):
    barrier = threading.Barrier(len(works))

    def run(work):
        try:
            barrier.wait(timeout=60)
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(works)) as pool:
        return list(pool.map(run, works))


def test_engine_and_nurse_race_for_one_slot_and_exactly_one_wins(center, protocol, nurse):
    NurseShiftFactory(center=center, nurse=nurse, start=at(7), end=at(19))
    NurseShiftFactory(center=center, nurse=UserFactory(role="nurse", center=center), start=at(7), end=at(19))
    engine = client_for(UserFactory(username="engine", role="nurse", center=center))
    page = Client()
    page.force_login(nurse)
    for round_number in range(ROUNDS):
        chair = ChairFactory(center=center, label=f"R{round_number}")
        start = at(7 + round_number)
        via_fhir, via_page = PatientFactory(center=center), PatientFactory(center=center)
        body = {
            "resourceType": "Appointment",
            "status": "booked",
            "serviceType": [{"coding": [{"code": protocol.code}]}],
            "start": start.isoformat(),
            "participant": [
                {"actor": {"reference": f"Patient/{via_fhir.pk}"}, "status": "accepted"},
                {"actor": {"reference": f"Location/chair-{chair.pk}"}, "status": "accepted"},
            ],
        }
        form = {
            "center": center.pk,
            "search": "1",
            "patient": via_page.pk,
            "protocol": protocol.pk,
            "dose_number": 1,
            "date_from": DAY.isoformat(),
            "date_to": DAY.isoformat(),
            "time_of_day": "any",
            "chair": chair.pk,
            "start": start.isoformat(),
        }
        fhir_answer, page_answer = _together(
            lambda body=body: engine.post(
                "/fhir/r4/Appointment", json.dumps(body), content_type="application/fhir+json"
            ),
            lambda form=form: page.post(reverse("slot_confirm"), form),
        )
        booked = list(Appointment.objects.filter(chair=chair))
        assert len(booked) == 1, (fhir_answer.status_code, page_answer.status_code)
        if booked[0].patient_id == via_fhir.pk:
            assert fhir_answer.status_code == 201 and page_answer.status_code == 409
            assert "Nothing was booked" in page_answer.content.decode()
        else:
            assert page_answer.status_code == 302 and fhir_answer.status_code == 409
            outcome = fhir_answer.json()
            assert outcome["resourceType"] == "OperationOutcome"
            assert outcome["issue"][0]["code"] == "conflict"
            assert outcome["issue"][0]["details"]["coding"][0]["code"] in ("chair_taken", "chairs_full")
