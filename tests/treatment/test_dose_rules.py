"""The label's dose rules hold on every path: spacing, dose order and the monitoring MRI (issue 11)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from scheduling.dose_rules import gap_after, min_days_before
from scheduling.errors import BookingRefused
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import book_appointment, move_appointment
from tests.api.conftest import client_for
from tests.factories import NEW_YORK, AppointmentFactory
from tests.treatment.conftest import at, make_order
from treatment.models import PrerequisiteDocument
from treatment.readiness import readiness_of
from treatment.series import SeriesRefused, book_series

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=NEW_YORK)  # a Tuesday morning
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def weekday_after(day: dt.date, days: int) -> dt.date:
    """The date ``days`` after ``day``, checked to be a weekday the test center is open."""
    target = day + dt.timedelta(days=days)
    assert target.weekday() < 5, target
    return target


def given(patient, protocol, chair, day, dose):
    return AppointmentFactory(
        center=patient.center,
        patient=patient,
        protocol=protocol,
        chair=chair,
        dose_number=dose,
        start=at(day),
        status=AppointmentStatus.FULFILLED,
    )


def booked(patient, protocol, chair, day, dose, hour=9):
    return AppointmentFactory(
        center=patient.center, patient=patient, protocol=protocol, chair=chair, dose_number=dose, start=at(day, hour)
    )


def book(actor, patient, protocol, chair, day, dose, hour=9, **kwargs):
    return book_appointment(
        actor=actor, patient=patient, protocol=protocol, chair=chair, start=at(day, hour), dose_number=dose, **kwargs
    )


def codes(error):
    return [r.code for r in error.reasons]


# --- Spacing -------------------------------------------------------------------------------------------


def test_donanemab_dose_2_twenty_days_after_dose_1_is_refused(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    make_order(patient, library["don"])
    given(patient, library["don"], chair, dt.date(2026, 11, 20), 1)  # a Friday
    with pytest.raises(BookingRefused) as refused:
        book(nurse, patient, library["don"], chair, weekday_after(dt.date(2026, 11, 20), 20), 2)
    assert "doses_too_close" in codes(refused.value)
    message = next(r.message for r in refused.value.reasons if r.code == "doses_too_close")
    assert "20 days after dose 1" in message and "2026-11-20" in message and "at least 21 days" in message
    assert not Appointment.objects.filter(dose_number=2).exists()


def test_donanemab_dose_2_twenty_one_days_after_dose_1_is_booked(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    make_order(patient, library["don"])
    given(patient, library["don"], chair, dt.date(2026, 11, 13), 1)
    appointment = book(nurse, patient, library["don"], chair, weekday_after(dt.date(2026, 11, 13), 21), 2)
    assert appointment.pk


def test_ocrelizumab_600mg_nineteen_weeks_after_the_previous_dose_is_refused(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    make_order(patient, library["ocr"], start=dt.date(2026, 1, 1))
    previous = dt.date(2026, 7, 28)  # dose 3, the first 600 mg
    given(patient, library["ocr"], chair, previous, 3)
    with pytest.raises(BookingRefused) as refused:
        book(nurse, patient, library["ocr"], chair, weekday_after(previous, 19 * 7), 4)
    assert "doses_too_close" in codes(refused.value)
    assert "133 days after dose 3" in refused.value.message
    assert book(nurse, patient, library["ocr"], chair, weekday_after(previous, 20 * 7), 4).pk


def test_two_future_doses_of_one_series_a_week_apart_are_refused(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    make_order(patient, library["don"])
    book(nurse, patient, library["don"], chair, dt.date(2026, 12, 7), 1)
    with pytest.raises(BookingRefused) as refused:
        book(nurse, patient, library["don"], chair, dt.date(2026, 12, 14), 2)
    assert codes(refused.value) == ["doses_too_close"]


def test_spacing_is_checked_against_the_next_booked_dose_too(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    make_order(patient, library["lec"])
    given(patient, library["lec"], chair, dt.date(2026, 11, 16), 1)
    booked(patient, library["lec"], chair, dt.date(2026, 12, 14), 3)  # booked ahead; dose 2 is missing
    with pytest.raises(BookingRefused) as refused:
        book(nurse, patient, library["lec"], chair, dt.date(2026, 12, 10), 2)
    message = next(r.message for r in refused.value.reasons if r.code == "doses_too_close")
    assert "4 days before dose 3" in message


def test_moving_a_dose_too_close_to_the_previous_one_is_refused_and_keeps_its_time(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    make_order(patient, library["don"])
    given(patient, library["don"], chair, dt.date(2026, 11, 20), 1)
    dose_2 = booked(patient, library["don"], chair, dt.date(2026, 12, 18), 2)
    with pytest.raises(BookingRefused) as refused:
        move_appointment(actor=nurse, appointment=dose_2, chair=chair, start=at(dt.date(2026, 12, 8)))
    assert codes(refused.value) == ["doses_too_close"]
    dose_2.refresh_from_db()
    assert dose_2.start == at(dt.date(2026, 12, 18))


def test_api_booking_and_reschedule_refuse_doses_too_close(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    make_order(patient, library["don"])
    given(patient, library["don"], chair, dt.date(2026, 11, 20), 1)
    api = client_for(nurse)
    body = {
        "patient": patient.pk,
        "protocol": library["don"].pk,
        "chair": chair.pk,
        "start": at(dt.date(2026, 12, 10)).isoformat(),
        "dose_number": 2,
    }
    response = api.post("/api/v1/appointments/", body, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "doses_too_close"
    assert "20 days after dose 1" in response.json()["reasons"][0]["message"]
    dose_2 = booked(patient, library["don"], chair, dt.date(2026, 12, 18), 2)
    response = api.post(
        f"/api/v1/appointments/{dose_2.pk}/reschedule/", {"start": at(dt.date(2026, 12, 9)).isoformat()}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "doses_too_close"


def test_api_availability_leaves_out_days_too_close(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    given(patient, library["don"], chair, dt.date(2026, 11, 20), 1)
    response = client_for(nurse).get(
        "/api/v1/availability/",
        {
            "center": staffed.pk,
            "protocol": library["don"].pk,
            "dose_number": 2,
            "patient": patient.pk,
            "date_from": "2026-12-07",
            "date_to": "2026-12-18",
        },
    )
    assert response.status_code == 200, response.content
    days = {c["start"][:10] for c in response.json()["candidates"]}
    assert days and min(days) >= "2026-12-11"


def test_slot_finder_page_offers_only_days_the_series_allows(client, staffed, library, patient, nurse):
    client.force_login(nurse)
    given(patient, library["don"], staffed.test_chairs[0], dt.date(2026, 11, 20), 1)
    response = client.get(
        reverse("slot_finder"),
        {
            "center": staffed.pk,
            "search": "1",
            "patient": patient.pk,
            "protocol": library["don"].pk,
            "dose_number": 2,
            "date_from": "2026-12-02",
            "date_to": "2026-12-18",
            "time_of_day": "any",
        },
    )
    assert response.status_code == 200
    candidates = response.context["result"].candidates
    assert candidates and all(c.start.astimezone(NEW_YORK).date() >= dt.date(2026, 12, 11) for c in candidates)


def test_booking_page_says_why_a_dose_too_close_is_refused(client, staffed, library, patient, nurse):
    client.force_login(nurse)
    chair = staffed.test_chairs[0]
    make_order(patient, library["don"])
    given(patient, library["don"], chair, dt.date(2026, 11, 20), 1)
    search = {
        "center": staffed.pk,
        "search": "1",
        "patient": patient.pk,
        "protocol": library["don"].pk,
        "dose_number": 2,
        "date_from": "2026-12-02",
        "date_to": "2026-12-18",
        "time_of_day": "any",
    }
    response = client.post(
        reverse("slot_confirm"), {**search, "chair": chair.pk, "start": at(dt.date(2026, 12, 9)).isoformat()}
    )
    assert response.status_code == 409
    assert "19 days after dose 1" in response.content.decode()
    assert not Appointment.objects.filter(dose_number=2).exists()


def test_series_booking_refuses_a_pinned_dose_too_close(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    order = make_order(patient, library["don"])
    given(patient, library["don"], chair, dt.date(2026, 11, 20), 1)
    with pytest.raises(SeriesRefused) as refused:
        book_series(actor=nurse, order=order, doses=[(2, chair.pk, at(dt.date(2026, 12, 9)))])
    assert codes(refused.value) == ["doses_too_close"]
    assert refused.value.reasons[0].message.startswith("Dose 2:")
    assert not Appointment.objects.filter(dose_number=2).exists()


def test_admin_form_refuses_a_dose_too_close(staffed, library, patient, center_admin):
    chair = staffed.test_chairs[0]
    given(patient, library["don"], chair, dt.date(2026, 11, 20), 1)
    dose_2 = booked(patient, library["don"], chair, dt.date(2026, 12, 18), 2)
    form = _admin_form(dose_2, center_admin, start=at(dt.date(2026, 12, 8)))
    assert not form.is_valid()
    assert "18 days after dose 1" in " ".join(form.non_field_errors())


def _admin_form(appointment, user, **changes):
    model_admin = admin.site._registry[Appointment]
    request = RequestFactory().post("/admin/")
    request.user = user
    form_class = model_admin.get_form(request, appointment)
    initial = form_class(instance=appointment).initial
    data = {}
    for name in form_class.base_fields:
        value = changes.get(name, initial.get(name))
        if value is None:
            continue
        if isinstance(value, dt.datetime):
            local = timezone.localtime(value).replace(tzinfo=None)
            data[f"{name}_0"], data[f"{name}_1"] = local.date().isoformat(), local.time().isoformat()
        elif isinstance(value, list):
            data[name] = ",".join(str(v) for v in value)
        elif hasattr(value, "pk"):
            data[name] = value.pk
        else:
            data[name] = value
    return form_class(data=data, instance=appointment)


# --- Dose order ----------------------------------------------------------------------------------------


def test_the_same_dose_number_cannot_be_booked_twice(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    make_order(patient, library["ept"])
    book(nurse, patient, library["ept"], chair, dt.date(2026, 12, 11), 1)
    with pytest.raises(BookingRefused) as refused:
        book(nurse, patient, library["ept"], chair, dt.date(2026, 12, 21), 1)
    assert codes(refused.value) == ["dose_number_taken"]
    assert "2026-12-11" in refused.value.message


def test_a_dose_cannot_be_dated_before_a_lower_numbered_dose(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    make_order(patient, library["nat"])
    booked(patient, library["nat"], chair, dt.date(2027, 1, 4), 8)
    with pytest.raises(BookingRefused) as refused:
        book(nurse, patient, library["nat"], chair, dt.date(2027, 2, 1), 5)
    assert "dose_out_of_order" in codes(refused.value)
    assert "cannot come after dose 8" in refused.value.message


def test_a_cancelled_dose_frees_its_number(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    make_order(patient, library["ept"])
    first = booked(patient, library["ept"], chair, dt.date(2026, 12, 11), 1)
    first.status = AppointmentStatus.CANCELLED
    first.save()
    assert book(nurse, patient, library["ept"], chair, dt.date(2026, 12, 21), 1).pk


def test_api_refuses_a_second_dose_1(staffed, library, patient, nurse):
    chair = staffed.test_chairs[0]
    make_order(patient, library["ept"])
    booked(patient, library["ept"], chair, dt.date(2026, 12, 11), 1)
    body = {
        "patient": patient.pk,
        "protocol": library["ept"].pk,
        "chair": chair.pk,
        "start": at(dt.date(2026, 12, 21)).isoformat(),
        "dose_number": 1,
    }
    response = client_for(nurse).post("/api/v1/appointments/", body, format="json")
    assert response.status_code == 409 and response.json()["code"] == "dose_number_taken"


# --- Gaps from the protocol data ------------------------------------------------------------------------


def test_minimum_gaps_come_from_the_protocol_data(library):
    assert [min_days_before(library["don"], n) for n in (1, 2, 5)] == [None, 21, 21]
    assert [min_days_before(library["ocr"], n) for n in (2, 3, 4)] == [12, 140, 140]
    assert [min_days_before(library["efg"], n) for n in (2, 4, 5, 6)] == [7, 7, 28, 7]
    assert min_days_before(library["lec"], 2) == 11
    assert min_days_before(library["dhe"], 2) is None


def test_protocol_library_matches_the_labels(library):
    assert gap_after(library["rav"], 1).window == 0  # first maintenance exactly 2 weeks after loading
    assert gap_after(library["rav"], 2).window == 7
    assert [gap_after(library["ecu"], n).window for n in (1, 4, 5)] == [2, 2, 2]
    assert gap_after(library["efg"], 4).days == 28 and gap_after(library["efg"], 3).days == 7
    assert min_days_before(library["ubl"], 3) == 150
    assert library["ubl"].chair_minutes(2) - library["ubl"].chair_minutes(3) == 30  # observation 60 → 30 min
    pregnancy = library["ubl"].prerequisites.get(kind="pregnancy_test")
    assert pregnancy.applies_to_dose(7) and pregnancy.is_day_of
    assert library["ine"].premedication_minutes == 30
    assert library["ine"].prerequisites.filter(kind="immunoglobulins", applies_to="first").exists()
    for code in ("rav", "ubl", "ine"):
        assert "local default" in library[code].notes
    assert "at least 4 weeks after the previous cycle" in library["efg"].notes


# --- The monitoring MRI ----------------------------------------------------------------------------------


def test_lecanemab_baseline_mri_does_not_clear_dose_3(center, chair, library, patient):
    make_order(patient, library["lec"])
    dose_1 = dt.date(2026, 11, 9)
    for kind in ("amyloid", "apoe4"):
        PrerequisiteDocument.objects.create(patient=patient, kind=kind, performed_on=dose_1 - dt.timedelta(days=30))
    PrerequisiteDocument.objects.create(patient=patient, kind="mri", performed_on=dose_1 - dt.timedelta(days=2))
    given(patient, library["lec"], chair, dose_1, 1)
    given(patient, library["lec"], chair, dose_1 + dt.timedelta(days=14), 2)
    dose_3 = booked(patient, library["lec"], chair, dose_1 + dt.timedelta(days=28), 3)
    readiness = readiness_of(dose_3, today=TODAY)
    assert [item.code for item in readiness.missing] == ["mri_missing"]
    assert "after the previous dose on 2026-11-23" in readiness.missing[0].message
    PrerequisiteDocument.objects.create(patient=patient, kind="mri", performed_on=dt.date(2026, 11, 30))
    assert readiness_of(dose_3, today=TODAY).ready


def test_donanemab_baseline_mri_does_not_clear_dose_2(center, chair, library, patient):
    make_order(patient, library["don"])
    PrerequisiteDocument.objects.create(patient=patient, kind="mri", performed_on=dt.date(2026, 11, 1))
    given(patient, library["don"], chair, dt.date(2026, 11, 3), 1)
    dose_2 = booked(patient, library["don"], chair, dt.date(2026, 12, 1), 2)
    assert [item.code for item in readiness_of(dose_2, today=TODAY).missing] == ["mri_missing"]


def test_monitoring_mri_is_a_field_of_the_rule(library):
    monitoring = library["lec"].prerequisites.get(kind="mri", applies_to="listed")
    baseline = library["lec"].prerequisites.get(kind="mri", applies_to="first")
    assert monitoring.after_previous_dose and not baseline.after_previous_dose
    assert "after the previous dose" in monitoring.describe()
    assert library["don"].prerequisites.get(kind="mri", applies_to="listed").after_previous_dose
