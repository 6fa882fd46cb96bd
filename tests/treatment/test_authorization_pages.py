"""Pages of the prior-authorization workflow: the authorization page, holds, medication history, the work queue."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from chairs.models import NurseShift
from scheduling.models import AppointmentStatus
from tests.factories import ChairFactory, UserFactory
from tests.treatment.conftest import at, make_order
from treatment.authorizations import record_stage
from treatment.models import AuthorizationStatus, MedicationHistory, PriorAuthorization, StepTherapyRule


@pytest.fixture
def authorization(patient, library):
    return PriorAuthorization.objects.get(order=make_order(patient, library["ocr"], auth=AuthorizationStatus.PENDING))


def page(client, authorization) -> str:
    return client.get(reverse("authorization_detail", args=[authorization.pk])).content.decode()


def test_recording_stages_on_the_page(front_desk_client, authorization):
    url = reverse("authorization_detail", args=[authorization.pk])
    assert "Submit the request to the payer" in page(front_desk_client, authorization)
    response = front_desk_client.post(url, {"stage-stage": "submitted", "stage-occurred_on": "2026-11-20"}, follow=True)
    assert "Recorded: Submitted to the payer on 2026-11-20." in response.content.decode()
    text = page(front_desk_client, authorization)
    assert "Payer&#x27;s decision due — due Sat 2026-12-05" in text
    # A denial without its reason is a form error naming what is missing; nothing is written.
    response = front_desk_client.post(url, {"stage-stage": "denied"})
    assert (
        response.status_code == 200
        and "Choose the payer’s reason for the denial."
        in response.content.decode().replace("&#x27;", "’").replace("'", "’")
    )
    authorization.refresh_from_db()
    assert authorization.stage == "submitted" and authorization.stages.count() == 1
    # A stage the workflow does not allow now is not offered, and refused if posted anyway.
    response = front_desk_client.post(url, {"stage-stage": "appeal_1"})
    assert "Select a valid choice" in response.content.decode()


def test_nurses_see_the_page_but_cannot_record(nurse_client, authorization):
    text = page(nurse_client, authorization)
    assert "Record the next stage" not in text
    nurse_client.post(reverse("authorization_detail", args=[authorization.pk]), {"stage-stage": "submitted"})
    authorization.refresh_from_db()
    assert authorization.stage == ""


def test_step_therapy_met_or_missing_on_the_page(front_desk_client, authorization, patient, library):
    StepTherapyRule.objects.create(
        payer="Blue Cross", protocol=library["ocr"], name="A first-line injectable", therapies=["glatiramer acetate"]
    )
    text = page(front_desk_client, authorization)
    assert "Step therapy requirement not met." in text
    assert "no record that glatiramer acetate was tried" in text
    response = front_desk_client.post(
        reverse("medication_create", args=[patient.pk]),
        {"therapy": "glatiramer acetate", "outcome": "not_tolerated", "started_on": "2025-03-01"},
    )
    assert response.status_code == 302
    assert MedicationHistory.objects.get().recorded_by.username == "frank.desk"
    assert "Step therapy requirement met." in page(front_desk_client, authorization)
    patient_page = front_desk_client.get(reverse("patient_detail", args=[patient.pk])).content.decode()
    assert 'id="medication-history"' in patient_page and "Not tolerated" in patient_page


def test_another_centers_authorization_is_a_404(client, authorization, other_center):
    client.force_login(UserFactory(role="front_desk", center=other_center))
    assert client.get(reverse("authorization_detail", args=[authorization.pk])).status_code == 404


def test_a_hold_from_the_page(front_desk_client, authorization, center):
    chair = ChairFactory(center=center, label="C01")
    nurse = UserFactory(role="nurse", center=center)
    with time_machine.travel(dt.datetime(2026, 12, 1, 14, 0, tzinfo=dt.UTC), tick=False):
        NurseShift.objects.create(
            center=center, nurse=nurse, start=at(dt.date(2026, 12, 14), 7), end=at(dt.date(2026, 12, 14), 19)
        )
        response = front_desk_client.post(
            reverse("hold_create", args=[authorization.pk]),
            {"hold-chair": chair.pk, "hold-day": "2026-12-14", "hold-time": "09:00"},
            follow=True,
        )
        text = response.content.decode()
        assert (
            "First dose held on 2026-12-14 09:00; released on 2026-12-11 unless the authorization is approved." in text
        )
        hold = authorization.holds.get()
        assert hold.appointment.status == AppointmentStatus.PENDING
        board = front_desk_client.get(reverse("board"), {"center": center.pk, "date": "2026-12-14"}).content.decode()
        assert "status-pending" in board and "Tentative hold (authorization pending)" in board
        front_desk_client.post(reverse("hold_step", args=[hold.pk, "release"]))
        hold.appointment.refresh_from_db()
        assert hold.appointment.status == AppointmentStatus.CANCELLED


def test_the_work_queue_lists_next_actions_overdue_first(front_desk_client, patient, library, center):
    late = PriorAuthorization.objects.get(order=make_order(patient, library["ocr"], auth=AuthorizationStatus.PENDING))
    soon = PriorAuthorization.objects.get(order=make_order(patient, library["nat"], auth=AuthorizationStatus.PENDING))
    record_stage(
        actor=None, authorization=late, stage="submitted", occurred_on=dt.date(2026, 11, 1), today=dt.date(2026, 11, 1)
    )
    record_stage(
        actor=None,
        authorization=soon,
        stage="submitted",
        occurred_on=dt.date(2026, 11, 28),
        today=dt.date(2026, 11, 28),
    )
    with time_machine.travel(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC), tick=False):
        text = front_desk_client.get(reverse("work_queue"), {"center": center.pk}).content.decode()
    table = text[text.index('id="authorization-tasks"') :]
    assert table.index("Mon 2026-11-16") < table.index("Sun 2026-12-13")
    assert "15 days overdue" in table
