"""The rota: weekly patterns generate shifts in the center's zone across DST and month ends; exceptions;
the week view of staffing against the chair load."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from chairs.models import Closure, NurseShift
from setup import services
from setup.models import RotaPattern
from setup.rota import pattern_dates
from setup.selectors import week_staffing
from tests.factories import NEW_YORK, AppointmentFactory, NurseShiftFactory, UserFactory

pytestmark = pytest.mark.django_db

MON, TUE, WED, THU, FRI = range(5)


def test_alternate_fridays_keep_their_rhythm_across_a_month_end():
    days = pattern_dates(
        weekday_numbers=[FRI],
        every_weeks=2,
        first_week=dt.date(2027, 1, 4),
        until=None,
        date_from=dt.date(2027, 1, 20),
        date_to=dt.date(2027, 3, 10),
    )
    assert days == [dt.date(2027, 1, 22), dt.date(2027, 2, 5), dt.date(2027, 2, 19), dt.date(2027, 3, 5)]


def test_monday_to_thursday_stops_at_the_patterns_end():
    days = pattern_dates(
        weekday_numbers=[MON, TUE, WED, THU],
        every_weeks=1,
        first_week=dt.date(2026, 12, 30),
        until=dt.date(2027, 1, 5),
        date_from=dt.date(2026, 12, 1),
        date_to=dt.date(2027, 1, 31),
    )
    assert days == [dt.date(2026, 12, 30), dt.date(2026, 12, 31), dt.date(2027, 1, 4), dt.date(2027, 1, 5)]


def pattern(center, nurse, **kwargs) -> RotaPattern:
    values = {
        "weekdays": [MON, TUE, WED, THU],
        "starts_at": dt.time(7),
        "ends_at": dt.time(15, 30),
        "first_week": dt.date(2026, 10, 19),
    }
    return RotaPattern.objects.create(center=center, nurse=nurse, **values | kwargs)


def test_generated_shifts_keep_local_hours_across_the_fall_back_change(center, nurse):
    result = services.generate_shifts(
        pattern=pattern(center, nurse), date_from=dt.date(2026, 10, 26), date_to=dt.date(2026, 11, 2)
    )
    starts = [s.start.astimezone(dt.UTC) for s in result.created]
    # Thursday 29 October is still EDT (UTC-4); Monday 2 November is EST (UTC-5): both at 07:00 local.
    assert starts[3] == dt.datetime(2026, 10, 29, 11, 0, tzinfo=dt.UTC)
    assert starts[4] == dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
    assert {s.start.astimezone(NEW_YORK).time() for s in result.created} == {dt.time(7)}
    assert {s.end - s.start for s in result.created} == {dt.timedelta(hours=8, minutes=30)}


def test_generated_shifts_keep_local_hours_across_the_spring_forward_change(center, nurse):
    result = services.generate_shifts(
        pattern=pattern(center, nurse, weekdays=[FRI, MON], first_week=dt.date(2027, 3, 1)),
        date_from=dt.date(2027, 3, 12),
        date_to=dt.date(2027, 3, 15),
    )
    assert [s.start.astimezone(dt.UTC).hour for s in result.created] == [12, 11]  # EST then EDT, 07:00 local


def test_generation_skips_closures_and_days_the_nurse_already_works_and_is_idempotent(center, nurse):
    Closure.objects.create(center=center, date=dt.date(2026, 12, 24), reason="Christmas Eve")
    NurseShiftFactory(center=center, nurse=nurse, start=dt.datetime(2026, 12, 22, 6, tzinfo=NEW_YORK))
    rota = pattern(center, nurse)
    first = services.generate_shifts(pattern=rota, date_from=dt.date(2026, 12, 21), date_to=dt.date(2026, 12, 27))
    assert [s.start.astimezone(NEW_YORK).date() for s in first.created] == [
        dt.date(2026, 12, 21),
        dt.date(2026, 12, 23),
    ]
    assert dict(first.skipped) == {
        dt.date(2026, 12, 22): "already on a shift then",
        dt.date(2026, 12, 24): "the center is closed",
    }
    again = services.generate_shifts(pattern=rota, date_from=dt.date(2026, 12, 21), date_to=dt.date(2026, 12, 27))
    assert again.created == []
    assert NurseShift.objects.filter(nurse=nurse).count() == 3


def test_pattern_page_generates_weeks_ahead_from_today(admin_client, center, nurse):
    url = reverse("setup:rota", args=[center.pk])
    response = admin_client.post(
        url,
        {
            "nurse": nurse.pk,
            "weekdays": [MON, TUE, WED, THU],
            "starts_at": "07:00",
            "ends_at": "15:30",
            "every_weeks": 1,
            "first_week": "2026-11-30",
        },
    )
    assert response.status_code == 302
    rota = RotaPattern.objects.get(nurse=nurse)
    admin_client.post(reverse("setup:rota_generate", args=[center.pk, rota.pk]), {"weeks": 2})
    # Today is Wednesday 2 December; two weeks run to Tuesday 15 December: 2–3, 7–10, 14–15.
    assert NurseShift.objects.filter(nurse=nurse).count() == 8
    admin_client.post(reverse("setup:rota_pattern_delete", args=[center.pk, rota.pk]), {"remove_shifts": "on"})
    # Only the shift already under way (today 07:00) stays.
    assert [s.start.astimezone(NEW_YORK) for s in NurseShift.objects.filter(nurse=nurse)] == [
        dt.datetime(2026, 12, 2, 7, tzinfo=NEW_YORK)
    ]


def test_pattern_form_refuses_an_end_before_the_start_and_a_nurse_of_another_center(admin_client, center, other_nurse):
    url = reverse("setup:rota", args=[center.pk])
    data = {"weekdays": [MON], "starts_at": "15:00", "ends_at": "07:00", "every_weeks": 1, "first_week": "2026-12-07"}
    page = admin_client.post(url, data | {"nurse": other_nurse.pk}).content.decode()
    assert "Select a valid choice" in page
    assert "The shift must end after it starts" in page
    assert not RotaPattern.objects.exists()


def test_only_active_nurses_of_the_center_may_be_put_on_a_shift(admin_client, center, nurse, front_desk):
    url = reverse("setup:shift_add", args=[center.pk])
    data = {"date": "2026-12-08", "starts": "07:00", "ends": "15:00"}
    assert admin_client.post(url, data | {"nurse": front_desk.pk}).status_code == 200
    nurse.is_active = False
    nurse.save()
    assert admin_client.post(url, data | {"nurse": nurse.pk}).status_code == 200
    assert not NurseShift.objects.exists()


def test_a_swap_and_a_sick_day_are_exceptions_on_the_shifts(admin_client, center, nurse):
    colleague = UserFactory(role="nurse", center=center)
    shift = NurseShiftFactory(center=center, nurse=nurse, start=dt.datetime(2026, 12, 8, 7, tzinfo=NEW_YORK))
    sick = NurseShiftFactory(center=center, nurse=nurse, start=dt.datetime(2026, 12, 9, 7, tzinfo=NEW_YORK))
    edit = reverse("setup:shift_edit", args=[center.pk, shift.pk])
    data = {"nurse": colleague.pk, "date": "2026-12-08", "starts": "07:00", "ends": "15:30"}
    assert admin_client.post(edit, data).status_code == 302
    shift.refresh_from_db()
    assert shift.nurse == colleague and shift.end == dt.datetime(2026, 12, 8, 15, 30, tzinfo=NEW_YORK)
    admin_client.post(reverse("setup:shift_delete", args=[center.pk, sick.pk]))
    assert not NurseShift.objects.filter(pk=sick.pk).exists()


def test_an_overlapping_one_off_shift_is_a_form_error(admin_client, center, nurse):
    NurseShiftFactory(center=center, nurse=nurse, start=dt.datetime(2026, 12, 8, 7, tzinfo=NEW_YORK))
    url = reverse("setup:shift_add", args=[center.pk])
    response = admin_client.post(url, {"nurse": nurse.pk, "date": "2026-12-08", "starts": "12:00", "ends": "20:00"})
    assert response.status_code == 200
    assert NurseShift.objects.count() == 1


def test_week_view_shows_where_the_planner_refuses_for_lack_of_nurses(admin_client, center, chair, nurse):
    # Monday 7 December: one nurse 07:00–12:00 only; the center is open 07:00–19:00.
    NurseShiftFactory(
        center=center,
        nurse=nurse,
        start=dt.datetime(2026, 12, 7, 7, tzinfo=NEW_YORK),
        end=dt.datetime(2026, 12, 7, 12, tzinfo=NEW_YORK),
    )
    AppointmentFactory(center=center, chair=chair, start=dt.datetime(2026, 12, 7, 8, tzinfo=NEW_YORK))
    monday = week_staffing(center, dt.date(2026, 12, 7))[0]
    unstaffed = [h.starts.hour for h in monday.hours if h.is_unstaffed]
    assert unstaffed == list(range(12, 19))
    eight = next(h for h in monday.hours if h.starts.hour == 8)
    assert (eight.nurses, eight.watched, eight.watch_capacity) == (1, 1, 4)
    page = admin_client.get(reverse("setup:rota", args=[center.pk]), {"week": "2026-12-09"}).content.decode()
    assert "Week of Mon 07 Dec 2026" in page
    assert "7 h without a nurse" in page


def test_a_pattern_whose_nurse_lost_the_nurse_role_generates_nothing(admin_client, center, nurse):
    """The generator saves through the shift model's own rule (an active nurse of that center)."""
    rota = pattern(center, nurse)
    nurse.groups.clear()
    response = admin_client.post(reverse("setup:rota_generate", args=[center.pk, rota.pk]), {"weeks": 2}, follow=True)
    assert not NurseShift.objects.exists()
    assert "Only users with the nurse role can be given nurse shifts." in response.content.decode()
