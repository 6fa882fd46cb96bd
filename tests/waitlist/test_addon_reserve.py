"""The same-day add-on reserve: chair-hours held back per weekday until the day before's release time."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling import planner
from scheduling.errors import BookingRefused
from scheduling.services import book_appointment
from scheduling.slot_search import find_candidates
from tests.factories import PatientFactory
from tests.waitlist.conftest import FRIDAY, MONDAY, at

UTC = dt.UTC


def pin(reserve_minutes: int, booked=()) -> planner.PlannerInput:
    day = dt.date(2026, 12, 7)
    return planner.PlannerInput(
        rules=planner.CenterRules(timezone="UTC", opening_hours={0: (dt.time(8), dt.time(12))}),
        chairs=(planner.ChairInfo(1, "C1"), planner.ChairInfo(2, "C2")),
        booked=tuple(booked),
        shifts=(planner.Shift(1, dt.datetime(2026, 12, 7, 7, tzinfo=UTC), dt.datetime(2026, 12, 7, 13, tzinfo=UTC)),),
        addon_reserve={day: reserve_minutes} if reserve_minutes else {},
    )


def test_the_planner_keeps_the_reserve_free():
    # Two chairs × 4 hours = 480 free chair minutes; a 120-minute booking leaves 360.
    start = dt.datetime(2026, 12, 7, 8, tzinfo=UTC)
    assert planner.check_placement(pin(360), chair_id=1, start=start, chair_minutes=120) == []
    refused = planner.check_placement(pin(361), chair_id=1, start=start, chair_minutes=120)
    assert [r.code for r in refused] == ["addon_reserve"]
    request = planner.SlotRequest(chair_minutes=120, date_from=dt.date(2026, 12, 7), date_to=dt.date(2026, 12, 7))
    result = planner.find_slots(pin(361), request)
    assert result.candidates == () and result.days[0].reasons[0].code == "addon_reserve"
    # Bookings already made count against the free time.
    taken = planner.BookedSlot(9, 2, start, start + dt.timedelta(hours=4))
    assert planner.check_placement(pin(120, [taken]), chair_id=1, start=start, chair_minutes=120) == []
    assert planner.check_placement(pin(121, [taken]), chair_id=1, start=start, chair_minutes=120)


@pytest.mark.django_db
def test_the_reserve_holds_until_the_release_time_the_day_before(booked, one_chair, center, protocol, nurse, clock):
    # Monday: one chair open 07:00–19:00 (720 minutes), 250 booked; hold back 8 of the 7.8 hours left.
    center.addon_reserve_chair_hours = [8, 0, 0, 0, 0, 0, 0]
    center.addon_reserve_release = dt.time(16)
    center.save()
    patient = PatientFactory(center=center)
    found = find_candidates(center=center, protocol=protocol, dose_number=1, date_from=MONDAY, date_to=MONDAY)
    assert found.candidates == () and found.days[0].reasons[0].code == "addon_reserve"
    with pytest.raises(BookingRefused) as refused:
        book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=one_chair, start=at(MONDAY, 14),
                         dose_number=1)  # fmt: skip
    assert "same-day add-ons" in str(refused.value)

    clock.move_to(at(MONDAY - dt.timedelta(days=1), 16))  # Sunday 16:00: released to normal booking
    assert book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=one_chair, start=at(MONDAY, 14),
                            dose_number=1)  # fmt: skip


@pytest.mark.django_db
def test_center_setup_edits_the_reserve(clock, admin_client_for_center, center):
    page = admin_client_for_center.get(f"/setup/{center.pk}/settings/")
    assert page.status_code == 200 and "Same-day add-on reserve" in page.content.decode()
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(
        reminder_offsets_hours="72,24",
        addon_reserve_chair_hours="0,4,4,4,4,0,0",
        addon_reserve_release="15:30",
        quiet_hours_start="21:00",
        quiet_hours_end="08:00",
    )
    data = {k: v for k, v in data.items() if v is not None}
    response = admin_client_for_center.post(f"/setup/{center.pk}/settings/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    center.refresh_from_db()
    assert center.addon_reserve_chair_hours == [0, 4, 4, 4, 4, 0, 0]
    assert center.addon_reserve_release == dt.time(15, 30)
    assert center.addon_reserve_minutes(dt.date(2026, 12, 8), now=at(FRIDAY, 10)) == 240
    bad = admin_client_for_center.post(f"/setup/{center.pk}/settings/", {**data, "addon_reserve_chair_hours": "1,2"})
    assert bad.status_code == 200 and "addon_reserve_chair_hours" in bad.context["form"].errors


@pytest.mark.django_db
def test_the_reserve_counts_the_whole_days_bookings_not_only_those_near_the_new_one(
    booked, one_chair, center, protocol, nurse, clock
):
    # Monday 07:00–19:00 on one chair, 09:00–13:10 taken: a 250-minute dose at 14:00 leaves 220 minutes.
    # The booking check reads only the bookings near its placement; the reserve must still see the 09:00 one.
    center.addon_reserve_chair_hours = [4, 0, 0, 0, 0, 0, 0]  # 240 minutes held back
    center.addon_reserve_release = dt.time(16)
    center.save()
    patient = PatientFactory(center=center)
    with pytest.raises(BookingRefused) as refused:
        book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=one_chair, start=at(MONDAY, 14),
                         dose_number=1)  # fmt: skip
    assert "same-day add-ons" in str(refused.value)
    center.addon_reserve_chair_hours = [3, 0, 0, 0, 0, 0, 0]  # 180 minutes: 220 are left, so it fits
    center.save()
    assert book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=one_chair, start=at(MONDAY, 14),
                            dose_number=1)  # fmt: skip
