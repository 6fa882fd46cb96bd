"""Find a slot, book it after a confirmation, move it, cancel it; refusals are told plainly."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import book_appointment
from tests.booking.conftest import at
from tests.factories import AppointmentFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def search_params(center, patient, protocol, day, **overrides):
    params = {
        "center": center.pk,
        "search": "1",
        "patient": patient.pk,
        "protocol": protocol.pk,
        "dose_number": 1,
        "date_from": day.isoformat(),
        "date_to": day.isoformat(),
        "time_of_day": "any",
    }
    params.update(overrides)
    return params


@pytest.fixture
def ocr(protocols):
    return protocols["ocr"]


@pytest.fixture
def ann(staffed_center):
    return PatientFactory(center=staffed_center, first_name="Ann", last_name="Smith")


def test_empty_finder_shows_the_form(nurse_client, staffed_center):
    response = nurse_client.get(reverse("slot_finder"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'for="patient-search"' in body and "Find slots" in body and "Preferred weekdays" in body


def test_patient_link_prefills_the_picked_patient(nurse_client, staffed_center, ann):
    response = nurse_client.get(reverse("slot_finder"), {"patient": ann.pk, "center": staffed_center.pk})
    assert "Ann Smith · MRN" in response.content.decode()


def test_search_lists_ranked_candidates(nurse_client, staffed_center, ann, ocr, monday):
    response = nurse_client.get(reverse("slot_finder"), search_params(staffed_center, ann, ocr, monday))
    result = response.context["result"]
    assert result.candidates
    body = response.content.decode()
    first = result.candidates[0]
    assert "Book…" in body and first.chair_label in body
    assert first.start.astimezone(staffed_center.tzinfo).date() == monday


def test_search_answers_htmx_with_the_results_only(nurse_client, staffed_center, ann, ocr, monday):
    response = nurse_client.get(
        reverse("slot_finder"),
        search_params(staffed_center, ann, ocr, monday),
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="slot-results",
    )
    body = response.content.decode()
    assert "Book…" in body and "<html" not in body


def test_afternoon_preference_ranks_afternoon_first(nurse_client, staffed_center, ann, protocols, monday):
    params = search_params(staffed_center, ann, protocols["ept"], monday, time_of_day="afternoon")
    first = nurse_client.get(reverse("slot_finder"), params).context["result"].candidates[0]
    assert first.start.astimezone(staffed_center.tzinfo).hour >= 12


def test_nothing_fits_shows_reasons_per_day(nurse_client, staffed_center, ann, ocr, monday):
    saturday = monday + dt.timedelta(days=5)
    params = search_params(staffed_center, ann, ocr, saturday, date_to=(saturday + dt.timedelta(days=1)).isoformat())
    response = nurse_client.get(reverse("slot_finder"), params)
    body = response.content.decode()
    assert "Nothing fits" in body and "The center is closed." in body


def test_search_validates_the_date_range(nurse_client, staffed_center, ann, ocr, monday):
    params = search_params(staffed_center, ann, ocr, monday, date_to=(monday - dt.timedelta(days=1)).isoformat())
    body = nurse_client.get(reverse("slot_finder"), params).content.decode()
    assert "The end date must be on or after the start date." in body
    params = search_params(staffed_center, ann, ocr, monday, date_to=(monday + dt.timedelta(days=120)).isoformat())
    assert "at most 90 days" in nurse_client.get(reverse("slot_finder"), params).content.decode()


def test_search_requires_a_patient_of_the_center(nurse_client, staffed_center, other_center, ocr, monday):
    stranger = PatientFactory(center=other_center)
    params = search_params(staffed_center, stranger, ocr, monday)
    body = nurse_client.get(reverse("slot_finder"), params).content.decode()
    assert "not registered at your center" in body


def confirm_url(center, patient, protocol, day, chair, start):
    params = search_params(center, patient, protocol, day)
    params.update({"chair": chair.pk, "start": start.isoformat()})
    return f"{reverse('slot_confirm')}?{urlencode(params)}", params


def test_confirm_page_then_booking(nurse_client, nurse, staffed_center, ann, ocr, monday):
    chair = staffed_center.test_chairs[0]
    url, params = confirm_url(staffed_center, ann, ocr, monday, chair, at(monday, 8))
    page = nurse_client.get(url)
    body = page.content.decode()
    assert "Book this slot?" in body and "Confirm booking" in body and chair.label in body
    assert not Appointment.objects.exists()
    response = nurse_client.post(reverse("slot_confirm"), params)
    appointment = Appointment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("appointment_detail", args=[appointment.pk])
    assert appointment.chair == chair and appointment.start == at(monday, 8) and appointment.booked_by == nurse
    assert appointment.end - appointment.start == dt.timedelta(minutes=ocr.chair_minutes(1))
    detail = nurse_client.get(response["Location"]).content.decode()
    assert "Booked Ann Smith" in detail and "Status history" in detail and nurse.get_full_name() in detail


def test_slot_taken_meanwhile_is_told_plainly_with_fresh_candidates(nurse_client, staffed_center, ann, ocr, monday):
    chair = staffed_center.test_chairs[0]
    _, params = confirm_url(staffed_center, ann, ocr, monday, chair, at(monday, 8))
    other_user = UserFactory(role="nurse", center=staffed_center)
    other_patient = PatientFactory(center=staffed_center)
    book_appointment(actor=other_user, patient=other_patient, protocol=ocr, chair=chair, start=at(monday, 8))
    response = nurse_client.post(reverse("slot_confirm"), params)
    assert response.status_code == 409
    body = response.content.decode()
    assert "just taken by someone else" in body and "Nothing was booked" in body
    fresh = response.context["result"].candidates
    assert fresh and all(
        not (c.chair_id == chair.pk and c.start < at(monday, 8) + dt.timedelta(hours=4)) for c in fresh
    )
    assert Appointment.objects.filter(patient=ann).count() == 0


def test_other_refusals_name_the_reason(nurse_client, staffed_center, ann, ocr, monday):
    chair = staffed_center.test_chairs[0]
    _, params = confirm_url(staffed_center, ann, ocr, monday, chair, at(monday, 18))
    response = nurse_client.post(reverse("slot_confirm"), params)
    assert response.status_code == 409
    assert "opening hours" in response.content.decode() and "can no longer be booked" in response.content.decode()


def test_forged_start_without_offset_is_refused(nurse_client, staffed_center, ann, ocr, monday):
    _, params = confirm_url(staffed_center, ann, ocr, monday, staffed_center.test_chairs[0], at(monday, 8))
    params["start"] = "2030-01-07T08:00:00"
    response = nurse_client.post(reverse("slot_confirm"), params)
    assert response.status_code == 302 and not Appointment.objects.exists()


@pytest.fixture
def booked(staffed_center, ann, ocr, monday, nurse):
    return book_appointment(
        actor=nurse, patient=ann, protocol=ocr, chair=staffed_center.test_chairs[0], start=at(monday, 8)
    )


def test_move_searches_without_the_appointment_itself(nurse_client, booked, monday):
    response = nurse_client.get(reverse("appointment_move", args=[booked.pk]))
    body = response.content.decode()
    assert "Move Ann Smith’s appointment" in body and "Move here…" in body
    candidates = response.context["result"].candidates
    assert candidates


def test_move_keeps_the_old_time_until_the_new_one_is_booked(nurse_client, booked, staffed_center, monday):
    new_chair = staffed_center.test_chairs[1]
    params = {
        "center": staffed_center.pk,
        "search": "1",
        "date_from": monday.isoformat(),
        "date_to": monday.isoformat(),
        "time_of_day": "any",
        "chair": new_chair.pk,
        "start": at(monday, 10).isoformat(),
    }
    page = nurse_client.get(reverse("appointment_move_confirm", args=[booked.pk]), params).content.decode()
    assert "Move this appointment?" in page and "Confirm move" in page
    response = nurse_client.post(reverse("appointment_move_confirm", args=[booked.pk]), params)
    assert response.status_code == 302
    booked.refresh_from_db()
    assert booked.chair == new_chair and booked.start == at(monday, 10)
    assert Appointment.objects.count() == 1
    detail = nurse_client.get(reverse("appointment_detail", args=[booked.pk])).content.decode()
    assert "Moved to" in detail


def test_move_to_a_taken_slot_leaves_the_appointment_where_it_was(nurse_client, booked, staffed_center, ocr, monday):
    new_chair = staffed_center.test_chairs[1]
    AppointmentFactory(center=staffed_center, chair=new_chair, protocol=ocr, start=at(monday, 10))
    params = {
        "center": staffed_center.pk,
        "search": "1",
        "date_from": monday.isoformat(),
        "date_to": monday.isoformat(),
        "chair": new_chair.pk,
        "start": at(monday, 10).isoformat(),
    }
    response = nurse_client.post(reverse("appointment_move_confirm", args=[booked.pk]), params)
    assert response.status_code == 409 and "was not moved" in response.content.decode()
    booked.refresh_from_db()
    assert booked.start == at(monday, 8)


def test_cancel_needs_who_and_why(nurse_client, booked):
    url = reverse("appointment_cancel", args=[booked.pk])
    assert "Cancel this appointment?" in nurse_client.get(url).content.decode()
    response = nurse_client.post(url, {"reason": ""})
    assert "Say whether the patient or the center cancelled." in response.content.decode()
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_cancel_frees_the_chair(nurse_client, booked, staffed_center, monday):
    url = reverse("appointment_cancel", args=[booked.pk])
    response = nurse_client.post(url, {"cancelled_by": "patient", "reason": "Feeling unwell"})
    assert response.status_code == 302
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED and booked.cancelled_by == "patient"
    assert booked.cancel_reason == "Feeling unwell"
    detail = nurse_client.get(reverse("appointment_detail", args=[booked.pk])).content.decode()
    assert "Status booked → cancelled" in detail and "Reason: Feeling unwell" in detail
    assert "Move…" not in detail and "Cancel appointment…" not in detail
    board = nurse_client.get(reverse("board"), {"center": staffed_center.pk, "date": monday.isoformat()})
    assert board.context["board"].appointment_count == 0


def test_other_centers_appointment_is_404(nurse_client, other_center, protocol):
    stranger = AppointmentFactory(center=other_center, protocol=protocol)
    for name in ("appointment_detail", "appointment_move", "appointment_cancel"):
        assert nurse_client.get(reverse(name, args=[stranger.pk])).status_code == 404
    assert (
        nurse_client.post(reverse("appointment_cancel", args=[stranger.pk]), {"cancelled_by": "center"}).status_code
        == 404
    )


@pytest.fixture
def orders_required(settings):
    settings.BOOKING_REQUIRES_ORDER = True


def test_a_dose_without_an_order_is_explained_not_booked(
    nurse_client, orders_required, staffed_center, ann, ocr, monday
):
    url, params = confirm_url(staffed_center, ann, ocr, monday, staffed_center.test_chairs[0], at(monday, 8))
    results = nurse_client.get(reverse("slot_finder"), search_params(staffed_center, ann, ocr, monday)).content.decode()
    assert "Readiness of this dose" in results and "Not ready" in results
    page = nurse_client.get(url).content.decode()
    assert "cannot be booked yet" in page and "Confirm booking" not in page
    response = nurse_client.post(reverse("slot_confirm"), params)
    assert response.status_code == 409
    body = response.content.decode()
    assert "This dose cannot be booked" in body and "taken by someone else" not in body
    assert not Appointment.objects.exists()


def test_center_admin_may_book_with_a_recorded_reason(
    admin_client_for_center, orders_required, staffed_center, ann, ocr, monday
):
    url, params = confirm_url(staffed_center, ann, ocr, monday, staffed_center.test_chairs[0], at(monday, 8))
    page = admin_client_for_center.get(url).content.decode()
    assert "center admin override" in page and "Confirm booking" in page
    params["readiness_override_reason"] = "Order faxed, entered tomorrow"
    response = admin_client_for_center.post(reverse("slot_confirm"), params)
    assert response.status_code == 302
    assert Appointment.objects.get().readiness_override_reason == "Order faxed, entered tomorrow"


def test_board_flags_doses_that_are_not_ready(nurse_client, orders_required, staffed_center, ann, ocr, monday):
    AppointmentFactory(
        center=staffed_center, chair=staffed_center.test_chairs[0], patient=ann, protocol=ocr, start=at(monday, 8)
    )
    body = nurse_client.get(
        reverse("board"), {"center": staffed_center.pk, "date": monday.isoformat()}
    ).content.decode()
    assert 'data-readiness="blocked"' in body


def test_staff_of_two_centers_can_switch_the_finder(client, nurse, staffed_center, other_center):
    other_center.staff.add(nurse)
    client.force_login(nurse)
    body = client.get(reverse("slot_finder"), {"center": other_center.pk}).content.decode()
    assert 'id="finder-center"' in body and other_center.name in body
    board = client.get(reverse("board"), {"center": other_center.pk}).content.decode()
    assert 'id="board-center"' in board


def test_dose_field_suggests_the_dose_after_the_last_one(nurse_client, staffed_center, ann, ocr, monday):
    AppointmentFactory(
        center=staffed_center,
        chair=staffed_center.test_chairs[0],
        patient=ann,
        protocol=ocr,
        start=at(monday, 8),
        dose_number=3,
    )
    body = nurse_client.get(reverse("slot_dose"), {"patient": ann.pk, "protocol": ocr.pk}).content.decode()
    assert 'value="4"' in body and "the dose after #3" in body
    fresh = nurse_client.get(reverse("slot_dose"), {"patient": ann.pk, "protocol": "nonsense"}).content.decode()
    assert 'value="1"' in fresh
