"""A dose that is not ready is held at the chair, on every path (issue 11, item 4), and the work queue
shows day-of checks only on the day (item 6)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from chairside.services import record_vitals
from scheduling.errors import NotReadyAtChair
from scheduling.models import Appointment, AppointmentStatus, ChairStage
from scheduling.services import transition
from tests.api.conftest import client_for
from tests.factories import NEW_YORK, AppointmentFactory, PatientFactory
from tests.treatment.conftest import at, make_order
from tests.treatment.test_dose_rules import _admin_form
from treatment.models import AuthorizationStatus, PrerequisiteDocument
from treatment.selectors import upcoming_not_ready

NOW = dt.datetime(2026, 12, 1, 9, 5, tzinfo=NEW_YORK)  # a Tuesday, just after the booked start
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def dose(patient, protocol, chair, day, number, status=AppointmentStatus.FULFILLED, **kwargs):
    return AppointmentFactory(
        center=patient.center,
        patient=patient,
        protocol=protocol,
        chair=chair,
        dose_number=number,
        start=at(day),
        status=status,
        **kwargs,
    )


@pytest.fixture
def lecanemab_dose_3_without_mri(center, chair, library, patient):
    """Doses 1 and 2 given; dose 3 today, checked in; the only MRI is the baseline."""
    make_order(patient, library["lec"])
    for kind in ("amyloid", "apoe4", "mri"):
        PrerequisiteDocument.objects.create(patient=patient, kind=kind, performed_on=dt.date(2026, 10, 31))
    dose(patient, library["lec"], chair, dt.date(2026, 11, 2), 1)
    dose(patient, library["lec"], chair, dt.date(2026, 11, 16), 2)
    return dose(patient, library["lec"], chair, TODAY, 3, status=AppointmentStatus.ARRIVED, arrived_at=NOW)


@pytest.fixture
def pending_authorization_dose(center, chair, library, patient):
    make_order(patient, library["ept"], auth=AuthorizationStatus.PENDING)
    return dose(patient, library["ept"], chair, TODAY, 2, status=AppointmentStatus.ARRIVED, arrived_at=NOW)


def test_lecanemab_dose_3_without_its_mri_cannot_be_seated(lecanemab_dose_3_without_mri, nurse):
    with pytest.raises(NotReadyAtChair) as refused:
        transition(actor=nurse, appointment=lecanemab_dose_3_without_mri, action="seat")
    assert refused.value.code == "not_ready"
    assert [r.code for r in refused.value.reasons] == ["mri_missing"]
    assert "MRI needed before dose 3" in refused.value.message
    lecanemab_dose_3_without_mri.refresh_from_db()
    assert lecanemab_dose_3_without_mri.status == AppointmentStatus.ARRIVED


def test_a_nurse_cannot_override_a_blocking_item(lecanemab_dose_3_without_mri, nurse):
    with pytest.raises(NotReadyAtChair) as refused:
        transition(actor=nurse, appointment=lecanemab_dose_3_without_mri, action="seat", readiness_reason="Looks fine")
    assert refused.value.code == "override_not_allowed"


def test_a_center_admin_overrides_with_a_recorded_reason(lecanemab_dose_3_without_mri, center_admin, nurse):
    seated = transition(
        actor=center_admin,
        appointment=lecanemab_dose_3_without_mri,
        action="seat",
        readiness_reason="MRI done this morning at the hospital, report faxed",
    )
    seated.refresh_from_db()
    assert seated.chair_stage == ChairStage.IN_CHAIR
    assert seated.chair_check_reason == "MRI done this morning at the hospital, report faxed"
    assert seated.chair_check_by == center_admin and seated.chair_check_codes == ["mri_missing"]
    assert "MRI needed before dose 3" in seated.chair_check_items
    latest = seated.history.first()
    assert latest.history_user == center_admin and latest.history_change_reason.startswith("Overridden at the chair")
    # Starting the infusion does not ask again for what was overridden (the vitals it needs are its own rule).
    record_vitals(actor=nurse, appointment=seated, phase="pre", systolic=120, diastolic=80, pulse=70)
    started = transition(actor=nurse, appointment=seated, action="start_infusion")
    assert started.chair_stage == ChairStage.INFUSING


def test_a_dose_seated_before_its_check_failed_cannot_start(center, chair, library, patient, nurse):
    make_order(patient, library["lec"])
    dose(patient, library["lec"], chair, dt.date(2026, 11, 2), 1)
    dose(patient, library["lec"], chair, dt.date(2026, 11, 16), 2)
    in_chair = dose(
        patient, library["lec"], chair, TODAY, 3, status=AppointmentStatus.CHECKED_IN, chair_stage=ChairStage.IN_CHAIR
    )
    with pytest.raises(NotReadyAtChair) as refused:
        transition(actor=nurse, appointment=in_chair, action="start_infusion")
    assert refused.value.code == "not_ready"


def test_a_pending_authorization_needs_a_nurses_acknowledgement(pending_authorization_dose, nurse):
    with pytest.raises(NotReadyAtChair) as refused:
        transition(actor=nurse, appointment=pending_authorization_dose, action="seat")
    assert refused.value.code == "acknowledgement_required"
    assert [r.code for r in refused.value.reasons] == ["authorization_pending"]
    seated = transition(
        actor=nurse,
        appointment=pending_authorization_dose,
        action="seat",
        readiness_reason="Payer confirmed by phone; approval letter follows",
    )
    seated.refresh_from_db()
    assert seated.chair_stage == ChairStage.IN_CHAIR and seated.chair_check_by == nurse
    assert seated.history.first().history_change_reason.startswith("Acknowledged at the chair")


def test_a_ready_dose_is_seated_without_questions(center, chair, library, patient, nurse):
    make_order(patient, library["ept"])
    ready = dose(patient, library["ept"], chair, TODAY, 2, status=AppointmentStatus.ARRIVED, arrived_at=NOW)
    seated = transition(actor=nurse, appointment=ready, action="seat")
    assert seated.chair_stage == ChairStage.IN_CHAIR and seated.chair_check_reason == ""


def test_waiting_room_page_refuses_to_seat_and_lists_what_is_missing(nurse_client, lecanemab_dose_3_without_mri):
    url = reverse("flow_action", args=[lecanemab_dose_3_without_mri.pk, "seat"])
    response = nurse_client.post(url, follow=True)
    text = response.content.decode()
    assert "not ready to be given" in text and "MRI needed before dose 3" in text
    lecanemab_dose_3_without_mri.refresh_from_db()
    assert lecanemab_dose_3_without_mri.chair_stage == ""


def test_waiting_room_offers_the_acknowledgement_and_the_appointment_shows_it(
    nurse_client, pending_authorization_dose, center
):
    page = nurse_client.get(reverse("waiting_room"), {"center": center.pk}).content.decode()
    assert 'name="readiness_reason"' in page
    url = reverse("flow_action", args=[pending_authorization_dose.pk, "seat"])
    nurse_client.post(url, {"readiness_reason": "Payer confirmed by phone"})
    pending_authorization_dose.refresh_from_db()
    assert pending_authorization_dose.chair_stage == ChairStage.IN_CHAIR
    detail = nurse_client.get(reverse("appointment_detail", args=[pending_authorization_dose.pk])).content.decode()
    assert "Payer confirmed by phone" in detail and "is pending" in detail


def test_api_seat_is_refused_with_the_list_then_acknowledged(pending_authorization_dose, nurse):
    api = client_for(nurse)
    url = f"/api/v1/appointments/{pending_authorization_dose.pk}/seat/"
    response = api.post(url, {}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "acknowledgement_required"
    assert [r["code"] for r in body["reasons"]] == ["authorization_pending"]
    response = api.post(url, {"readiness_reason": "Payer confirmed by phone"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["chair_check_reason"] == "Payer confirmed by phone"


def test_api_start_infusion_of_a_dose_not_ready_is_refused(center, chair, library, patient, nurse):
    make_order(patient, library["lec"])
    dose(patient, library["lec"], chair, dt.date(2026, 11, 2), 1)
    dose(patient, library["lec"], chair, dt.date(2026, 11, 16), 2)
    in_chair = dose(
        patient, library["lec"], chair, TODAY, 3, status=AppointmentStatus.CHECKED_IN, chair_stage=ChairStage.IN_CHAIR
    )
    response = client_for(nurse).post(f"/api/v1/appointments/{in_chair.pk}/start-infusion/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "not_ready" and response.json()["reasons"][0]["code"] == "mri_missing"


def test_admin_cannot_change_the_chair_stage_around_the_state_machine(lecanemab_dose_3_without_mri, center_admin):
    form = _admin_form(lecanemab_dose_3_without_mri, center_admin, chair_stage=ChairStage.INFUSING)
    assert "chair_stage" not in form.fields  # status changes go through transition(), which holds the dose
    assert form.is_valid(), form.errors
    lecanemab_dose_3_without_mri.refresh_from_db()
    assert lecanemab_dose_3_without_mri.chair_stage == ""


# --- Day-of checks in the work queue ---------------------------------------------------------------------


def test_natalizumab_checklist_shows_in_the_work_queue_only_on_the_day(center, chair, library, patient):
    other = PatientFactory(center=center)
    for someone in (patient, other):
        make_order(someone, library["nat"])
        PrerequisiteDocument.objects.create(patient=someone, kind="rems_enrollment", performed_on=dt.date(2026, 11, 2))
    today_dose = dose(patient, library["nat"], chair, TODAY, 4, status=AppointmentStatus.BOOKED)
    in_ten_days = dose(other, library["nat"], chair, TODAY + dt.timedelta(days=10), 7, status=AppointmentStatus.BOOKED)
    listed = [entry.appointment.pk for entry in upcoming_not_ready(center=center, today=TODAY)]
    assert listed == [today_dose.pk]
    assert Appointment.objects.count() == 2
    on_its_day = [e.appointment.pk for e in upcoming_not_ready(center=center, today=TODAY + dt.timedelta(days=10))]
    assert on_its_day == [in_ten_days.pk]
