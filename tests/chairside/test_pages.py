"""The chair-side pages, the pharmacy queue, and the dose amount and weight on the board, arrivals,
the appointment and the next booking."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from chairside import services
from chairside.models import DosePreparation, InfusionReaction, PreparationStatus
from regimens.models import PatientWeight
from scheduling.models import AppointmentStatus
from tests.factories import NEW_YORK, AppointmentFactory, ChairFactory, PatientFactory, UserFactory
from tests.treatment.conftest import at, make_order

NOW = dt.datetime(2026, 12, 1, 9, 5, tzinfo=NEW_YORK)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def efgartigimod_today(center, chair, library, patient):
    make_order(patient, library["efg"])
    PatientWeight.objects.create(patient=patient, kg=Decimal("80"), measured_on=TODAY - dt.timedelta(days=45))
    return AppointmentFactory(
        center=center, patient=patient, protocol=library["efg"], chair=chair, dose_number=1, start=at(TODAY, 10),
    )  # fmt: skip


@pytest.fixture
def pharmacist_client(client, center):
    client.force_login(UserFactory(role="pharmacy", center=center))
    return client


def test_arrivals_show_the_dose_amount_and_a_stale_weight(front_desk_client, efgartigimod_today):
    html = front_desk_client.get(reverse("arrivals")).content.decode()
    assert "800 mg (10 mg/kg)" in html
    assert "Weight stale" in html


def test_board_tile_detail_names_the_dose_amount_and_weight(nurse_client, efgartigimod_today, center):
    html = nurse_client.get(reverse("board"), {"center": center.pk, "date": TODAY.isoformat()}).content.decode()
    assert "800 mg (10 mg/kg) · 80 kg (2026-10-17) — stale, weigh again" in html


def test_appointment_page_shows_the_dose(nurse_client, efgartigimod_today):
    html = nurse_client.get(reverse("appointment_detail", args=[efgartigimod_today.pk])).content.decode()
    assert "800 mg (10 mg/kg)" in html and "stale" in html


def test_pharmacy_queue_for_pharmacy_staff_and_the_status_steps(pharmacist_client, efgartigimod_today, center):
    page = pharmacist_client.get(reverse("pharmacy_queue"), {"center": center.pk, "date": TODAY.isoformat()})
    html = page.content.decode()
    assert page.status_code == 200 and "800 mg" in html and "Mark prepared" in html
    step = reverse("preparation_step", args=[efgartigimod_today.pk])
    pharmacist_client.post(step, {"status": "prepared"})
    assert DosePreparation.objects.get(appointment=efgartigimod_today).status == PreparationStatus.PREPARED
    response = pharmacist_client.post(step, {"status": "dispensed"}, follow=True)
    assert "only once the patient has arrived" in response.content.decode()  # a message, not a 500


def test_front_desk_cannot_open_the_pharmacy_queue_and_nurses_cannot_change_it(
    front_desk_client, efgartigimod_today, nurse
):
    assert front_desk_client.get(reverse("pharmacy_queue")).status_code == 403
    front_desk_client.force_login(nurse)
    assert front_desk_client.get(reverse("pharmacy_queue")).status_code == 200
    response = front_desk_client.post(reverse("preparation_step", args=[efgartigimod_today.pk]), {"status": "prepared"})
    assert response.status_code == 403
    assert not DosePreparation.objects.exists()


def test_another_centers_dose_is_not_found(pharmacist_client, other_center, library):
    foreign = AppointmentFactory(
        center=other_center, patient=PatientFactory(center=other_center), protocol=library["ept"],
        chair=ChairFactory(center=other_center), start=at(TODAY, 10),
    )  # fmt: skip
    assert (
        pharmacist_client.post(reverse("preparation_step", args=[foreign.pk]), {"status": "prepared"}).status_code
        == 404
    )
    assert pharmacist_client.get(reverse("chairside_dose", args=[foreign.pk])).status_code == 403


def test_nurse_documents_a_reaction_and_the_next_booking_shows_the_change(nurse_client, efgartigimod_today, library):
    efgartigimod_today.status = AppointmentStatus.CHECKED_IN
    efgartigimod_today.chair_stage = "infusing"
    efgartigimod_today.save()
    url = reverse("chairside_dose", args=[efgartigimod_today.pk])
    response = nurse_client.post(
        url,
        {"form": "reaction", "grade": "2", "symptoms": ["rash", "itching"], "action": "paused",
         "treatment_given": "cetirizine 10 mg", "premedication_change": "cetirizine 10 mg 30 min before"},
    )  # fmt: skip
    assert response.status_code == 302
    assert InfusionReaction.objects.get().grade == 2
    confirm = nurse_client.get(
        reverse("slot_confirm"),
        {"center": efgartigimod_today.center_id, "patient": efgartigimod_today.patient_id,
         "protocol": library["efg"].pk, "dose_number": 2, "date_from": "2026-12-08", "date_to": "2026-12-08",
         "search": "1", "time_of_day": "any",
         "chair": efgartigimod_today.chair_id, "start": at(TODAY + dt.timedelta(days=7), 10).isoformat()},
    )  # fmt: skip
    html = confirm.content.decode()
    assert confirm.status_code == 200, list(confirm.wsgi_request._messages)
    assert "observe 30 min longer" in html
    assert "cetirizine 10 mg 30 min before" in html


def test_bad_vitals_are_a_form_message_not_a_500(nurse_client, efgartigimod_today):
    efgartigimod_today.status = AppointmentStatus.ARRIVED
    efgartigimod_today.save()
    url = reverse("chairside_dose", args=[efgartigimod_today.pk])
    response = nurse_client.post(
        url, {"form": "vitals", "phase": "pre", "systolic": "9000", "diastolic": "80", "pulse": "70"}
    )
    assert response.status_code == 200 and "Ensure this value is less than or equal to 300" in response.content.decode()
    assert not efgartigimod_today.vitals.exists()


def test_patient_page_records_weight_allergy_and_premedication(nurse_client, patient, library):
    url = reverse("chairside_patient", args=[patient.pk])
    nurse_client.post(url, {"form": "weight", "kg": "71.5", "measured_on": TODAY.isoformat()})
    nurse_client.post(url, {"form": "allergy", "substance": "iodine", "reaction": "hives", "severity": "moderate"})
    nurse_client.post(
        url,
        {
            "form": "premed",
            "protocol": library["ocr"].pk,
            "drug": "methylprednisolone",
            "dose": "100 mg IV",
            "minutes_before": "30",
        },
    )
    html = nurse_client.get(url).content.decode()
    assert (
        "71.5 kg, measured 2026-12-01" in html
        and "iodine (moderate)" in html
        and "methylprednisolone 100 mg IV" in html
    )
    response = nurse_client.post(url, {"form": "weight", "kg": "-3", "measured_on": TODAY.isoformat()})
    assert response.status_code == 200 and patient.weights.count() == 1


def test_no_show_waste_is_counted_on_the_queue(pharmacist_client, efgartigimod_today, center, front_desk):
    from scheduling.services import transition

    services.set_preparation_status(actor=None, appointment=efgartigimod_today, status="prepared")
    efgartigimod_today.start = at(TODAY, 8)
    efgartigimod_today.end = at(TODAY, 9)
    efgartigimod_today.save()
    transition(actor=front_desk, appointment=efgartigimod_today, action="no_show")
    html = pharmacist_client.get(reverse("pharmacy_queue"), {"center": center.pk}).content.decode()
    assert "Wasted today: 1 (1 after a no-show)" in html


def test_pharmacy_queue_queries_do_not_grow_with_the_doses(
    pharmacist_client, center, library, django_assert_max_num_queries
):
    for n in range(12):
        AppointmentFactory(
            center=center, patient=PatientFactory(center=center), protocol=library["ocr" if n % 2 else "efg"],
            chair=ChairFactory(center=center), dose_number=3, start=at(TODAY, 8 + n % 9),
        )  # fmt: skip
    with django_assert_max_num_queries(30):
        response = pharmacist_client.get(reverse("pharmacy_queue"), {"center": center.pk, "date": TODAY.isoformat()})
    assert response.content.decode().count("Mark prepared") == 12


def test_nurse_records_a_premedication_given_and_the_page_says_what_holds_the_start(
    nurse_client, efgartigimod_today, nurse
):
    efgartigimod_today.status = AppointmentStatus.CHECKED_IN
    efgartigimod_today.chair_stage = "in_chair"
    efgartigimod_today.save()
    order = services.add_premedication(
        actor=nurse, patient=efgartigimod_today.patient, protocol=efgartigimod_today.protocol,
        drug="acetaminophen", dose="650 mg PO", minutes_before=30,
    )  # fmt: skip
    url = reverse("chairside_dose", args=[efgartigimod_today.pk])
    html = nurse_client.get(url).content.decode()
    assert "Before the infusion starts: Pre-medication acetaminophen 650 mg PO (0–60 min before the infusion)" in html
    assert "Before the infusion starts: Record the pre-infusion vital signs" in html
    response = nurse_client.post(url, {"form": "premed_given", "order": order.pk, "given_at": "08:40"})
    assert response.status_code == 302
    given = efgartigimod_today.premedications_given.get()
    assert given.given_at == at(TODAY, 8, 40) and given.drug == "acetaminophen"
    html = nurse_client.get(url).content.decode()
    assert "08:40 acetaminophen 650 mg PO" in html
    assert "Before the infusion starts: Pre-medication" not in html  # given 25 min before now: in its window
    # Neither an order nor a drug: a form message, nothing stored.
    response = nurse_client.post(url, {"form": "premed_given"})
    assert response.status_code == 200 and "Choose the order, or name the drug given." in response.content.decode()


def test_overdue_vitals_on_the_chairside_page_and_the_board_tile(nurse_client, efgartigimod_today, center):
    efgartigimod_today.status = AppointmentStatus.CHECKED_IN
    efgartigimod_today.chair_stage = "infusing"
    efgartigimod_today.chair_start_at = NOW - dt.timedelta(minutes=60)
    efgartigimod_today.infusion_start_at = NOW - dt.timedelta(minutes=45)  # interval 30 min: due 08:50
    efgartigimod_today.save()
    html = nurse_client.get(reverse("chairside_dose", args=[efgartigimod_today.pk])).content.decode()
    assert "data-vitals-overdue" in html and "Overdue: during vitals since 08:50" in html
    board = nurse_client.get(reverse("board"), {"center": center.pk, "date": TODAY.isoformat()}).content.decode()
    assert "Vitals overdue since 08:50" in board and "vitals-flag" in board


def test_vitals_recorded_clear_the_board_flag_at_once(nurse_client, nurse, efgartigimod_today, center):
    """The board is cached per minute: recording the overdue vitals must show in the same minute."""
    efgartigimod_today.status = AppointmentStatus.CHECKED_IN
    efgartigimod_today.chair_stage = "infusing"
    efgartigimod_today.chair_start_at = NOW - dt.timedelta(minutes=60)
    efgartigimod_today.infusion_start_at = NOW - dt.timedelta(minutes=45)
    efgartigimod_today.save()
    query = {"center": center.pk, "date": TODAY.isoformat()}
    assert "vitals-flag" in nurse_client.get(reverse("board"), query).content.decode()
    services.record_vitals(
        actor=nurse, appointment=efgartigimod_today, phase="during", systolic=118, diastolic=76, pulse=72
    )
    assert "vitals-flag" not in nurse_client.get(reverse("board"), query).content.decode()


def test_discharge_without_vitals_asks_why_on_the_in_chairs_page_and_keeps_the_answer(
    nurse_client, center, chair, library, patient, nurse
):
    """The nurse presses Discharge with no post-observation vitals recorded: the page asks why they could
    not be taken (with a link to record them instead), and the answer goes into the history."""
    from scheduling.services import transition

    make_order(patient, library["ept"])
    appointment = AppointmentFactory(
        center=center, patient=patient, protocol=library["ept"], chair=chair, dose_number=2,
        start=at(TODAY, 4), status=AppointmentStatus.ARRIVED, arrived_at=NOW - dt.timedelta(hours=5),
    )  # fmt: skip
    hours_ago = lambda h: NOW - dt.timedelta(hours=h)  # noqa: E731
    seated = transition(actor=nurse, appointment=appointment, action="seat", now=hours_ago(4.9))
    services.record_vitals(
        actor=nurse, appointment=seated, phase="pre", systolic=120, diastolic=80, pulse=70, taken_at=hours_ago(4.8)
    )
    infusing = transition(actor=nurse, appointment=seated, action="start_infusion", now=hours_ago(4.7))
    transition(actor=nurse, appointment=infusing, action="start_observation", now=hours_ago(4))
    url = reverse("flow_action", args=[appointment.pk, "complete"])

    asked = nurse_client.post(url, {"next": "/in-chairs/"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Record the post-observation vital signs before discharging the patient" in asked
    assert "or say why they could not be taken" in asked
    assert 'name="vitals_waiver"' in asked and "Discharge without vital signs" in asked
    assert reverse("chairside_dose", args=[appointment.pk]) in asked
    appointment.refresh_from_db()
    assert appointment.status == "checked-in"  # nothing changed
    page = nurse_client.post(url)  # without htmx: the same question, as a page
    assert page.status_code == 409 and "Discharge without vital signs?" in page.content.decode()

    nurse_client.post(url, {"vitals_waiver": "Patient declined, felt well"}, HTTP_HX_REQUEST="true")
    appointment.refresh_from_db()
    assert appointment.status == "fulfilled"
    detail = nurse_client.get(reverse("appointment_detail", args=[appointment.pk])).content.decode()
    assert "Reason: No post-observation vital signs: Patient declined, felt well" in detail
