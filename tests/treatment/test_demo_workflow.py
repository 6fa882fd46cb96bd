"""The demo's authorizations walk the workflow with realistic delays: payers differ by weeks, some denials
are overturned on appeal, a few requests are still with the payer."""

from __future__ import annotations

import datetime as dt

from tests.factories import PatientFactory, UserFactory
from treatment.authorization_selectors import time_to_treatment_of, workflow_of
from treatment.demo import prepare_demo_dose
from treatment.models import AuthorizationStatus, Order

TODAY = dt.date(2026, 12, 1)


def seeded(center, protocol, number: int) -> Order:
    patient = PatientFactory(center=center, mrn=f"DEMO{number:05d}")
    actor = UserFactory(role="front_desk", center=center)
    prepare_demo_dose(patient=patient, protocol=protocol, day=TODAY, dose=1, actor=actor, today=TODAY)
    prepare_demo_dose(patient=patient, protocol=protocol, day=TODAY, dose=1, actor=actor, today=TODAY)  # idempotent
    return Order.objects.get(patient=patient)


def test_payers_differ_by_weeks_and_denials_are_overturned_on_appeal(center, library):
    ocr = library["ocr"]
    medicare, pilgrim, appealed, pending = (seeded(center, ocr, n) for n in (3, 14, 13, 34))
    fast, slow = time_to_treatment_of(medicare), time_to_treatment_of(pilgrim)
    assert medicare.authorizations.get().payer == "Medicare" and pilgrim.authorizations.get().payer == "Harvard Pilgrim"
    assert (fast.submission_to_approval, slow.submission_to_approval) == (7, 38)
    stages = [s.stage for s in appealed.authorizations.get().stages.all()]
    assert stages == ["submitted", "denied", "appeal_1", "approved"]
    assert appealed.authorizations.get().status == AuthorizationStatus.APPROVED
    open_request = pending.authorizations.get()
    assert open_request.status == AuthorizationStatus.PENDING and open_request.stages.count() == 2
    assert workflow_of(open_request).next_action.code == "send_information"
