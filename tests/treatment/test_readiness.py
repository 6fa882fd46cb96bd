"""Readiness of a dose: order, authorization and the label's checks before given dose numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import AppointmentFactory, ChairFactory, PatientFactory
from tests.treatment.conftest import TODAY, at, make_order
from treatment.models import AuthorizationStatus, DocumentResult, Order, PrerequisiteDocument, PriorAuthorization
from treatment.readiness import _orders_and_authorizations, readiness_for, readiness_of

DOSE_DAY = dt.date(2026, 12, 21)


@pytest.fixture
def appointment_for(center, chair, patient):
    def _make(protocol, dose, day=DOSE_DAY, **kwargs):
        return AppointmentFactory(
            center=center, chair=chair, patient=patient, protocol=protocol, dose_number=dose, start=at(day), **kwargs
        )

    return _make


def codes(readiness):
    return [item.code for item in readiness.missing]


def record(patient, kind, day, result=DocumentResult.ACCEPTABLE):
    return PrerequisiteDocument.objects.create(patient=patient, kind=kind, performed_on=day, result=result)


def test_dose_with_order_and_approved_authorization_is_ready(library, patient, appointment_for):
    make_order(patient, library["ocr"])
    appointment = appointment_for(library["ocr"], 3)
    readiness = readiness_for([appointment], today=TODAY)[appointment.pk]
    assert readiness.ready and readiness.missing == []


def test_no_order_cannot_be_completed(library, appointment_for):
    readiness = readiness_of(appointment_for(library["ocr"], 3), today=TODAY)
    assert not readiness.ready
    assert codes(readiness) == ["no_order"]
    assert readiness.blocking and not readiness.warnings


def test_order_expiring_before_the_dose_blocks(library, patient, appointment_for):
    make_order(patient, library["ocr"], until=DOSE_DAY - dt.timedelta(days=1))
    readiness = readiness_of(appointment_for(library["ocr"], 3), today=TODAY)
    assert codes(readiness) == ["order_expired"]
    assert "expires on 2026-12-20" in readiness.missing[0].message


def test_order_valid_until_the_dose_day_is_enough(library, patient, appointment_for):
    make_order(patient, library["ocr"], until=DOSE_DAY)
    assert readiness_of(appointment_for(library["ocr"], 3), today=TODAY).ready


def test_order_covers_only_its_number_of_doses(library, patient, appointment_for):
    make_order(patient, library["ocr"], doses=2)
    readiness = readiness_of(appointment_for(library["ocr"], 3), today=TODAY)
    assert codes(readiness) == ["order_dose_not_covered"]
    assert "doses 1 to 2" in readiness.missing[0].message


def test_renewed_order_starting_at_dose_seven(library, patient, appointment_for):
    make_order(patient, library["ocr"], doses=6, first=7)
    assert readiness_of(appointment_for(library["ocr"], 7), today=TODAY).ready
    assert codes(
        readiness_of(appointment_for(library["ocr"], 6, day=DOSE_DAY + dt.timedelta(days=1)), today=TODAY)
    ) == ["order_dose_not_covered"]


def test_pending_authorization_can_still_be_approved(library, patient, appointment_for):
    make_order(patient, library["ocr"], auth=AuthorizationStatus.PENDING)
    readiness = readiness_of(appointment_for(library["ocr"], 3), today=TODAY)
    assert codes(readiness) == ["authorization_pending"]
    assert readiness.missing[0].can_complete_before_date


@pytest.mark.parametrize(
    ("status", "code"),
    [(AuthorizationStatus.DENIED, "authorization_denied"), (AuthorizationStatus.EXPIRED, "authorization_expired")],
)
def test_denied_or_expired_authorization_blocks(library, patient, appointment_for, status, code):
    make_order(patient, library["ocr"], auth=status)
    readiness = readiness_of(appointment_for(library["ocr"], 3), today=TODAY)
    assert codes(readiness) == [code]
    assert not readiness.missing[0].can_complete_before_date


def test_authorization_not_required_is_ready(library, patient, appointment_for):
    make_order(patient, library["ocr"], auth=AuthorizationStatus.NOT_REQUIRED)
    assert readiness_of(appointment_for(library["ocr"], 3), today=TODAY).ready


def test_missing_authorization_is_a_warning(library, patient, appointment_for):
    make_order(patient, library["ocr"], auth=None)
    readiness = readiness_of(appointment_for(library["ocr"], 3), today=TODAY)
    assert codes(readiness) == ["no_authorization"]
    assert readiness.warnings and not readiness.blocking


def test_authorization_ending_before_the_dose_blocks(library, patient, appointment_for):
    make_order(patient, library["ocr"], auth_until=DOSE_DAY - dt.timedelta(days=1))
    readiness = readiness_of(appointment_for(library["ocr"], 3), today=TODAY)
    assert codes(readiness) == ["authorization_expired"]


def test_visits_used_up_after_the_approved_number(library, patient, appointment_for):
    make_order(patient, library["nat"], visits=2)
    first = appointment_for(library["nat"], 1, day=dt.date(2026, 11, 23))
    second = appointment_for(library["nat"], 2, day=DOSE_DAY)
    third = appointment_for(library["nat"], 3, day=dt.date(2027, 1, 18))
    result = readiness_for([first, second, third], today=TODAY)
    assert "authorization_visits_used" not in codes(result[first.pk])
    assert "authorization_visits_used" not in codes(result[second.pk])
    assert "authorization_visits_used" in codes(result[third.pk])


def test_cancelled_visits_do_not_use_up_the_authorization(library, patient, appointment_for):
    make_order(patient, library["ocr"], visits=1)
    appointment_for(library["ocr"], 3, day=dt.date(2026, 12, 7), status="cancelled")
    assert readiness_of(appointment_for(library["ocr"], 3), today=TODAY).ready


# --- The label's checks, by dose number -------------------------------------------------------


@pytest.mark.parametrize(("dose", "needs_mri"), [(2, False), (3, True), (4, False), (5, True), (7, True), (14, True)])
def test_lecanemab_mri_before_doses_3_5_7_14(library, patient, appointment_for, dose, needs_mri):
    make_order(patient, library["lec"])
    readiness = readiness_of(appointment_for(library["lec"], dose), today=TODAY)
    assert ("mri_missing" in codes(readiness)) is needs_mri


@pytest.mark.parametrize(("dose", "needs_mri"), [(2, True), (3, True), (4, True), (5, False), (6, False), (7, True)])
def test_donanemab_mri_before_doses_2_3_4_7(library, patient, appointment_for, dose, needs_mri):
    make_order(patient, library["don"])
    readiness = readiness_of(appointment_for(library["don"], dose), today=TODAY)
    assert ("mri_missing" in codes(readiness)) is needs_mri


def test_lecanemab_dose_3_mri_window_boundaries(library, patient, appointment_for):
    make_order(patient, library["lec"])
    appointment = appointment_for(library["lec"], 3)
    document = record(patient, "mri", DOSE_DAY - dt.timedelta(days=31))
    assert codes(readiness_of(appointment, today=TODAY)) == ["mri_missing"]
    document.performed_on = DOSE_DAY - dt.timedelta(days=30)
    document.save()
    assert readiness_of(appointment, today=TODAY).ready


def test_missing_mri_is_completable_while_there_is_time(library, patient, appointment_for):
    make_order(patient, library["lec"])
    readiness = readiness_of(appointment_for(library["lec"], 3), today=TODAY)
    assert readiness.missing[0].can_complete_before_date
    assert "MRI needed before dose 3" in readiness.missing[0].message


def test_scheduled_mri_shows_as_pending(library, patient, appointment_for):
    make_order(patient, library["lec"])
    record(patient, "mri", DOSE_DAY - dt.timedelta(days=5), result=DocumentResult.PENDING)
    readiness = readiness_of(appointment_for(library["lec"], 3), today=TODAY)
    assert codes(readiness) == ["mri_pending"]
    assert readiness.warnings


def test_lecanemab_first_dose_needs_amyloid_apoe_and_baseline_mri(library, patient, appointment_for):
    make_order(patient, library["lec"])
    readiness = readiness_of(appointment_for(library["lec"], 1), today=TODAY)
    assert sorted(codes(readiness)) == ["amyloid_missing", "apoe4_missing", "mri_missing"]


@pytest.mark.parametrize(("days_before", "ready"), [(15, True), (14, True), (13, False)])
def test_eculizumab_meningococcal_vaccine_at_least_14_days_before_dose_1(
    library, patient, appointment_for, days_before, ready
):
    make_order(patient, library["ecu"])
    record(patient, "rems_enrollment", dt.date(2026, 11, 2))
    record(patient, "meningococcal_vaccine", DOSE_DAY - dt.timedelta(days=days_before))
    readiness = readiness_of(appointment_for(library["ecu"], 1), today=TODAY)
    assert readiness.ready is ready
    if not ready:
        assert codes(readiness) == ["meningococcal_vaccine_missing"]


@pytest.mark.parametrize(("days_to_dose", "completable"), [(15, True), (14, True), (13, False)])
def test_vaccine_too_late_to_give_14_days_ahead_cannot_be_completed(
    library, patient, appointment_for, days_to_dose, completable
):
    make_order(patient, library["ecu"])
    record(patient, "rems_enrollment", dt.date(2026, 11, 2))
    readiness = readiness_of(
        appointment_for(library["ecu"], 1, day=TODAY + dt.timedelta(days=days_to_dose)), today=TODAY
    )
    assert codes(readiness) == ["meningococcal_vaccine_missing"]
    assert readiness.missing[0].can_complete_before_date is completable


def test_eculizumab_later_doses_need_no_vaccine(library, patient, appointment_for):
    make_order(patient, library["ecu"])
    assert readiness_of(appointment_for(library["ecu"], 2), today=TODAY).ready


def test_ocrelizumab_hepatitis_b_before_dose_1_only(library, patient, appointment_for):
    make_order(patient, library["ocr"])
    first = appointment_for(library["ocr"], 1)
    assert "hepatitis_b_missing" in codes(readiness_of(first, today=TODAY))
    for kind in ("hepatitis_b", "immunoglobulins", "liver_tests"):
        record(patient, kind, dt.date(2026, 11, 10))
    assert readiness_of(first, today=TODAY).ready


def test_natalizumab_checklist_before_every_dose_on_the_day(library, patient, appointment_for):
    make_order(patient, library["nat"])
    record(patient, "rems_enrollment", dt.date(2026, 11, 2))
    appointment = appointment_for(library["nat"], 9)
    record(patient, "rems_checklist", DOSE_DAY - dt.timedelta(days=1))
    assert codes(readiness_of(appointment, today=DOSE_DAY)) == ["rems_checklist_missing"]
    record(patient, "rems_checklist", DOSE_DAY)
    assert readiness_of(appointment, today=DOSE_DAY).ready


def test_a_day_of_check_is_not_missing_weeks_ahead_but_on_the_day(library, patient, appointment_for):
    make_order(patient, library["nat"])
    record(patient, "rems_enrollment", dt.date(2026, 11, 2))
    appointment = appointment_for(library["nat"], 9)
    ahead = readiness_of(appointment, today=TODAY)
    assert ahead.ready and [item.code for item in ahead.on_the_day] == ["rems_checklist_missing"]
    on_the_day = readiness_of(appointment, today=DOSE_DAY)
    assert codes(on_the_day) == ["rems_checklist_missing"] and on_the_day.on_the_day == []


def test_abnormal_result_is_not_ready(library, patient, appointment_for):
    make_order(patient, library["lec"])
    record(patient, "mri", DOSE_DAY - dt.timedelta(days=3), result=DocumentResult.ABNORMAL)
    assert codes(readiness_of(appointment_for(library["lec"], 3), today=TODAY)) == ["mri_needs_review"]


def test_prerequisites_are_data_an_admin_can_change(library, patient, appointment_for):
    make_order(patient, library["lec"])
    rule = library["lec"].prerequisites.get(kind="mri", applies_to="listed")
    rule.dose_numbers = [4]
    rule.save()
    assert readiness_of(appointment_for(library["lec"], 3), today=TODAY).ready


def test_readiness_uses_a_constant_number_of_queries(library, center, django_assert_max_num_queries):
    appointments = []
    for number in range(12):
        patient = PatientFactory(center=center)
        protocol = library["lec"] if number % 2 else library["nat"]
        make_order(patient, protocol, visits=10)
        appointments.append(
            AppointmentFactory(
                center=center,
                patient=patient,
                protocol=protocol,
                chair=ChairFactory(center=center),
                dose_number=3,
                start=at(DOSE_DAY),
            )
        )
    with django_assert_max_num_queries(6):
        result = readiness_for(appointments, today=TODAY)
    assert len(result) == 12


def test_orders_and_authorizations_read_in_one_statement_come_as_the_orm_would(library, patient):
    """Several orders (one inactive, one of another protocol) and authorizations (one open-ended): the plain
    statement gives the same instances in the models' own orders."""
    ocr, nat = library["ocr"], library["nat"]
    make_order(patient, ocr, start=dt.date(2026, 10, 1), auth_until=dt.date(2027, 1, 1))
    newer = make_order(patient, ocr, start=dt.date(2026, 11, 15))
    PriorAuthorization.objects.create(patient=patient, order=newer, payer="Aetna", status=AuthorizationStatus.PENDING)
    PriorAuthorization.objects.create(
        patient=patient, order=newer, payer="Aetna", status=AuthorizationStatus.APPROVED,
        approved_from=dt.date(2026, 11, 15), approved_until=dt.date(2027, 3, 1),
    )  # fmt: skip
    inactive = make_order(patient, ocr, start=dt.date(2026, 11, 20))
    Order.objects.filter(pk=inactive.pk).update(is_active=False)
    make_order(patient, nat, auth=None)
    orders, authorizations = _orders_and_authorizations({patient.pk}, {ocr.pk, nat.pk})
    expected = Order.objects.filter(patient=patient, is_active=True)
    assert {key: [o.pk for o in group] for key, group in orders.items()} == {
        (patient.pk, ocr.pk): [o.pk for o in expected.filter(protocol=ocr)],
        (patient.pk, nat.pk): [o.pk for o in expected.filter(protocol=nat)],
    }
    assert len(orders[(patient.pk, ocr.pk)]) == 2
    for group in orders.values():
        for order in group:
            fresh = Order.objects.get(pk=order.pk)
            assert [getattr(order, f.attname) for f in Order._meta.concrete_fields] == [
                getattr(fresh, f.attname) for f in Order._meta.concrete_fields
            ]
            want = list(PriorAuthorization.objects.filter(order=order))
            got = authorizations.get(order.pk, [])
            assert [a.pk for a in got] == [a.pk for a in want]
            assert [[getattr(a, f.attname) for f in PriorAuthorization._meta.concrete_fields] for a in got] == [
                [getattr(a, f.attname) for f in PriorAuthorization._meta.concrete_fields] for a in want
            ]
    assert [a.approved_until for a in authorizations[newer.pk]] == [None, dt.date(2027, 11, 1), dt.date(2027, 3, 1)]
