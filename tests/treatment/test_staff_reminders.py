"""Reminder emails to staff (never patients) about authorization steps due soon or missed, sent once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from tests.factories import UserFactory
from tests.treatment.conftest import make_order
from treatment.authorizations import record_stage
from treatment.models import AuthorizationStatus, PriorAuthorization
from treatment.tasks import remind_staff, remind_staff_task


@pytest.fixture
def submitted(patient, library):
    """Submitted on 16 January 2027: the payer's decision is due on 31 January."""
    authorization = PriorAuthorization.objects.get(
        order=make_order(patient, library["ocr"], auth=AuthorizationStatus.PENDING)
    )
    record_stage(
        actor=None,
        authorization=authorization,
        stage="submitted",
        occurred_on=dt.date(2027, 1, 16),
        today=dt.date(2027, 1, 16),
    )
    return authorization


@pytest.fixture
def coordinators(center):
    desk = UserFactory(role="front_desk", center=center, email="desk@clinic.example")
    admin = UserFactory(role="center_admin", center=center, email="admin@clinic.example")
    UserFactory(role="nurse", center=center, email="nurse@clinic.example")  # not an access coordinator
    return desk, admin


def test_staff_hear_of_a_step_two_days_ahead_and_once_more_when_missed(submitted, coordinators, patient):
    with time_machine.travel(dt.datetime(2027, 1, 28, 17, 0, tzinfo=dt.UTC), tick=False):
        assert remind_staff() == 0  # 3 days ahead: not yet
    with time_machine.travel(dt.datetime(2027, 1, 29, 17, 0, tzinfo=dt.UTC), tick=False):
        assert remind_staff_task() == 1
        assert remind_staff() == 0  # run twice: sent once
    message = mail.outbox[0]
    assert sorted(message.to) == ["admin@clinic.example", "desk@clinic.example"]
    assert patient.email not in message.to
    assert f"MRN {patient.mrn}, Blue Cross: Payer's decision due (due Sun 2027-01-31)" in message.body
    assert f"/treatment/authorizations/{submitted.pk}/" in message.body
    assert "ocrelizumab" not in message.body.lower() and "OCR" not in message.body  # no drug named
    with time_machine.travel(dt.datetime(2027, 2, 1, 17, 0, tzinfo=dt.UTC), tick=False):
        assert remind_staff() == 1
        assert remind_staff() == 0
    assert "1 day overdue" in mail.outbox[1].body
    assert len(mail.outbox) == 2


def test_no_email_without_coordinators_or_due_steps(submitted):
    with time_machine.travel(dt.datetime(2027, 1, 30, 17, 0, tzinfo=dt.UTC), tick=False):
        assert remind_staff() == 0
    assert mail.outbox == []
