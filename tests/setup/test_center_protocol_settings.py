"""A center's own protocol values: set on the setup page beside the label's and the installation's, kept in
history, used by the slot search, booking and the dose rules of that center only, for bookings from then on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from scheduling.errors import BookingRefused
from scheduling.models import CENTER_PROTOCOL_FIELDS, CenterProtocolSettings, Protocol
from scheduling.protocol_library import seed_protocols
from scheduling.protocol_settings import protocol_for_center
from scheduling.services import book_appointment
from scheduling.slot_search import find_candidates
from tests.factories import NEW_YORK, AppointmentFactory, ChairFactory, NurseShiftFactory, PatientFactory, UserFactory
from tests.setup.test_protocols import protocol_post
from treatment.prerequisite_library import seed_prerequisites

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 12, 7)


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=NEW_YORK)


@pytest.fixture
def lecanemab(db):
    seed_protocols()
    seed_prerequisites()
    return Protocol.objects.get(code="lec")


def staff(center, days):
    nurse = UserFactory(role="nurse", center=center)
    for day in days:
        NurseShiftFactory(center=center, nurse=nurse, start=at(day, 7), end=at(day, 19))
    return nurse


def center_post(protocol: Protocol, **own) -> dict:
    data = protocol_post(protocol)
    data |= {f"center-{name}": "" for name in CENTER_PROTOCOL_FIELDS}
    return data | {f"center-{k}": v for k, v in own.items()}


def test_the_page_shows_label_installation_and_center_values_and_notes_the_difference(admin_client, center, lecanemab):
    CenterProtocolSettings.objects.create(center=center, protocol=lecanemab, observation_minutes=45)
    page = admin_client.get(reverse("setup:protocol_edit", args=[center.pk, lecanemab.pk])).content.decode()
    assert page.count("differs from the label") == 1
    assert f"{center.name} runs 45" in page
    assert 'name="center-observation_minutes" value="45"' in page


def test_a_center_value_is_saved_with_who_and_used_for_that_center_only(
    admin_client, center, other_center, center_admin, lecanemab
):
    url = reverse("setup:protocol_edit", args=[center.pk, lecanemab.pk])
    response = admin_client.post(url, center_post(lecanemab, later_dose_infusion_minutes=90))
    assert response.status_code == 302
    lecanemab.refresh_from_db()
    assert lecanemab.later_dose_infusion_minutes == 60, "the installation's value is untouched"
    own = CenterProtocolSettings.objects.get(center=center, protocol=lecanemab)
    assert own.history.first().history_user == center_admin
    assert protocol_for_center(lecanemab, center).chair_minutes(2) == lecanemab.chair_minutes(2) + 30
    assert protocol_for_center(lecanemab, other_center).chair_minutes(2) == lecanemab.chair_minutes(2)


def test_an_impossible_center_value_is_refused_on_its_field(admin_client, center, lecanemab):
    url = reverse("setup:protocol_edit", args=[center.pk, lecanemab.pk])
    response = admin_client.post(url, center_post(lecanemab, interval_window_days=7))
    assert response.status_code == 200
    assert "The window must be less than half the interval." in response.content.decode()
    assert "interval_window_days" in response.context["center_form"].errors
    assert not CenterProtocolSettings.objects.exists()


def test_another_centers_protocol_page_is_a_404(admin_client, other_center, lecanemab):
    response = admin_client.post(
        reverse("setup:protocol_edit", args=[other_center.pk, lecanemab.pk]), center_post(lecanemab)
    )
    assert response.status_code == 404


def test_search_and_booking_use_the_centers_chair_time_and_booked_ones_keep_theirs(
    center, other_center, lecanemab, time_machine
):
    time_machine.move_to(dt.datetime(2026, 12, 2, 9, tzinfo=NEW_YORK), tick=False)
    chair, other_chair = ChairFactory(center=center, label="C01"), ChairFactory(center=other_center, label="H01")
    nurse = staff(center, [MONDAY])
    staff(other_center, [MONDAY])
    before = AppointmentFactory(center=center, chair=chair, protocol=lecanemab, start=at(MONDAY, 7), dose_number=2)
    kept_end = before.end
    CenterProtocolSettings.objects.create(center=center, protocol=lecanemab, later_dose_infusion_minutes=90)

    here = find_candidates(center=center, protocol=lecanemab, dose_number=2, date_from=MONDAY, date_to=MONDAY)
    there = find_candidates(center=other_center, protocol=lecanemab, dose_number=2, date_from=MONDAY, date_to=MONDAY)
    minutes = lecanemab.chair_minutes(2)
    assert {(c.end - c.start) for c in here.candidates} == {dt.timedelta(minutes=minutes + 30)}
    assert {(c.end - c.start) for c in there.candidates} == {dt.timedelta(minutes=minutes)}

    booked = book_appointment(
        actor=nurse,
        patient=PatientFactory(center=center),
        protocol=lecanemab,
        chair=chair,
        start=at(MONDAY, 13),
        dose_number=2,
    )
    assert booked.end - booked.start == dt.timedelta(minutes=minutes + 30)
    booked.refresh_from_db()
    assert booked.protocol.later_dose_infusion_minutes == 60, "the stored protocol is the installation's"
    before.refresh_from_db()
    assert before.end == kept_end
    assert other_chair.center == other_center


def test_the_dose_rules_space_doses_by_the_centers_interval(center, other_center, lecanemab, time_machine):
    """Lecanemab every 14 ± 3 days allows dose 2 eleven days after dose 1; a center running every
    28 ± 3 days refuses it there (at least 25 days)."""
    time_machine.move_to(dt.datetime(2026, 11, 20, 9, tzinfo=NEW_YORK), tick=False)
    first_day, second_day = dt.date(2026, 11, 23), dt.date(2026, 12, 7)
    results = {}
    for place in (center, other_center):
        chair = ChairFactory(center=place, label="C01")
        nurse = staff(place, [first_day, second_day])
        patient = PatientFactory(center=place)
        book_appointment(actor=nurse, patient=patient, protocol=lecanemab, chair=chair, start=at(first_day, 9))
        results[place.pk] = (nurse, patient, chair)
    CenterProtocolSettings.objects.create(center=center, protocol=lecanemab, interval_days=28, interval_window_days=3)

    nurse, patient, chair = results[other_center.pk]
    book_appointment(
        actor=nurse, patient=patient, protocol=lecanemab, chair=chair, start=at(second_day, 9), dose_number=2
    )
    nurse, patient, chair = results[center.pk]
    with pytest.raises(BookingRefused) as refused:
        book_appointment(
            actor=nurse, patient=patient, protocol=lecanemab, chair=chair, start=at(second_day, 9), dose_number=2
        )
    assert "at least 25 days apart" in str(refused.value.reasons)
    offered = find_candidates(
        center=center, protocol=lecanemab, dose_number=2, date_from=second_day, date_to=second_day, patient=patient
    )
    assert not offered.candidates
