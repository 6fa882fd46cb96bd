"""Every setup page: who may open it, that another center's pages and objects are a 404, and validation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from chairs.models import Center, ChairBlock, Closure, OpeningHours
from scheduling.planner_input import check_dose_placement, planner_input_for
from setup.models import RecurringHoliday
from tests.factories import NEW_YORK, AppointmentFactory, ChairFactory, NurseShiftFactory, UserFactory

pytestmark = pytest.mark.django_db

CENTER_PAGES = [
    "setup:center",
    "setup:settings",
    "setup:hours",
    "setup:closures",
    "setup:chairs",
    "setup:staff",
    "setup:rota",
    "setup:protocols",
    "setup:import",
]


@pytest.mark.parametrize("name", CENTER_PAGES)
def test_center_admin_opens_every_setup_page(admin_client, center, name):
    response = admin_client.get(reverse(name, args=[center.pk]))
    assert response.status_code == 200
    assert center.name in response.content.decode()


@pytest.mark.parametrize("name", CENTER_PAGES)
def test_another_centers_setup_pages_are_not_found(admin_client, other_center, name):
    assert admin_client.get(reverse(name, args=[other_center.pk])).status_code == 404


def test_another_centers_objects_are_not_found_through_my_center(admin_client, center, other_chair, other_nurse):
    urls = [
        reverse("setup:chair_edit", args=[center.pk, other_chair.pk]),
        reverse("setup:chair_blocks", args=[center.pk, other_chair.pk]),
        reverse("setup:chair_deactivate", args=[center.pk, other_chair.pk]),
        reverse("setup:staff_edit", args=[center.pk, other_nurse.pk]),
    ]
    for url in urls:
        assert admin_client.get(url).status_code == 404, url
    shift = NurseShiftFactory(center=other_chair.center, nurse=other_nurse)
    assert admin_client.post(reverse("setup:shift_delete", args=[center.pk, shift.pk])).status_code == 404
    assert admin_client.post(reverse("setup:staff_deactivate", args=[center.pk, other_nurse.pk])).status_code == 404


def test_nurses_and_front_desk_may_not_open_setup(client, nurse, front_desk, center):
    for person in (nurse, front_desk):
        client.force_login(person)
        assert client.get(reverse("setup:index")).status_code == 403
        assert client.get(reverse("setup:center", args=[center.pk])).status_code == 403


def test_navigation_links_center_admins_to_setup(admin_client, center):
    page = admin_client.get(reverse("home"), follow=True).content.decode()
    assert reverse("setup:index") in page


def test_center_admin_cannot_create_centers(admin_client):
    assert admin_client.get(reverse("setup:center_create")).status_code == 403


def test_system_admin_creates_a_center_and_invites_its_first_admin(
    client, system_admin, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(system_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("setup:center_create"),
            {
                "name": "Lakeside Infusion",
                "timezone": "America/Chicago",
                "phone": "+13125550100",
                "address": "1 Lake Shore Dr, Chicago",
                "admin_username": "lena.lead",
                "admin_first_name": "Lena",
                "admin_last_name": "Lead",
                "admin_email": "lena@example.org",
            },
        )
    center = Center.objects.get(name="Lakeside Infusion")
    assert response.status_code == 302
    admin = center.staff.get()
    assert admin.username == "lena.lead"
    assert admin.groups.filter(name="center_admin").exists()
    assert not admin.has_usable_password()
    assert len(mailoutbox) == 1 and "/accounts/set-password/" in mailoutbox[0].body


def test_center_settings_refuse_a_start_window_off_the_grid(admin_client, center):
    data = {
        "name": center.name,
        "timezone": "America/New_York",
        "phone": "+16175550100",
        "address": "",
        "slot_minutes": 15,
        "noshow_grace_minutes": 30,
        "reminder_offsets_hours": "72,24",
        "quiet_hours_start": "21:00",
        "quiet_hours_end": "08:00",
        "patients_per_nurse": 4,
        "starts_per_nurse_per_window": 2,
        "start_window_minutes": 20,
    }
    response = admin_client.post(reverse("setup:settings", args=[center.pk]), data)
    assert response.status_code == 200
    assert "whole number of booking slots" in response.content.decode()
    data["start_window_minutes"] = 30
    data["address"] = "12 River Rd"
    assert admin_client.post(reverse("setup:settings", args=[center.pk]), data).status_code == 302
    center.refresh_from_db()
    assert center.address == "12 River Rd"


def hours_post(rows: dict[int, tuple]) -> dict:
    data = {"form-TOTAL_FORMS": "7", "form-INITIAL_FORMS": "7", "form-MIN_NUM_FORMS": "7", "form-MAX_NUM_FORMS": "7"}
    for weekday in range(7):
        data[f"form-{weekday}-weekday"] = str(weekday)
        if weekday in rows:
            opens, closes, *pause = rows[weekday]
            data |= {f"form-{weekday}-is_open": "on", f"form-{weekday}-opens": opens, f"form-{weekday}-closes": closes}
            if pause:
                data |= {f"form-{weekday}-break_starts": pause[0], f"form-{weekday}-break_ends": pause[1]}
    return data


def test_weekly_hours_with_a_split_day_are_saved(admin_client, center):
    rows = {0: ("08:00", "17:00"), 2: ("08:00", "18:00", "12:00", "13:00")}
    response = admin_client.post(reverse("setup:hours", args=[center.pk]), hours_post(rows))
    assert response.status_code == 302
    hours = {h.weekday: h for h in OpeningHours.objects.filter(center=center)}
    assert set(hours) == {0, 2}
    assert hours[2].break_starts == dt.time(12) and hours[2].break_ends == dt.time(13)


def test_weekly_hours_refuse_closing_before_opening_and_a_break_outside_the_day(admin_client, center):
    rows = {0: ("17:00", "08:00"), 1: ("08:00", "12:00", "11:00", "13:00")}
    response = admin_client.post(reverse("setup:hours", args=[center.pk]), hours_post(rows))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Closing time must be after opening time." in page
    assert "The break must lie inside the opening hours." in page
    assert OpeningHours.objects.filter(center=center).count() == 5  # unchanged (factory hours)


def test_a_split_days_break_refuses_chair_time_across_it(center, chair, protocol):
    OpeningHours.objects.filter(center=center, weekday=0).update(break_starts=dt.time(12), break_ends=dt.time(13))
    monday = dt.date(2026, 12, 7)
    NurseShiftFactory(center=center, start=dt.datetime(2026, 12, 7, 7, tzinfo=NEW_YORK))
    pin = planner_input_for(center=center, date_from=monday, date_to=monday)
    across = check_dose_placement(
        pin, protocol=protocol, dose_number=3, chair_id=chair.pk, start=dt.datetime(2026, 12, 7, 10, tzinfo=NEW_YORK)
    )
    after = check_dose_placement(
        pin, protocol=protocol, dose_number=3, chair_id=chair.pk, start=dt.datetime(2026, 12, 7, 13, tzinfo=NEW_YORK)
    )
    assert [r.code for r in across] == ["chair_blocked"]
    assert after == []


def test_recurring_holidays_become_closures_for_a_year(admin_client, center):
    url = reverse("setup:closures", args=[center.pk])
    admin_client.post(url, {"action": "holiday", "holiday-name": "New Year", "holiday-month": 1, "holiday-day": 1})
    admin_client.post(url, {"action": "holiday", "holiday-name": "Leap", "holiday-month": 2, "holiday-day": 29})
    refused = admin_client.post(url, {"action": "holiday", "holiday-name": "x", "holiday-month": 2, "holiday-day": 30})
    assert "That month has no such day." in refused.content.decode()
    assert RecurringHoliday.objects.filter(center=center).count() == 2
    admin_client.post(url, {"action": "year", "year-year": 2027})
    admin_client.post(url, {"action": "year", "year-year": 2027})  # twice is harmless
    assert list(Closure.objects.filter(center=center).values_list("date", "reason")) == [
        (dt.date(2027, 1, 1), "New Year")
    ]


def test_a_closure_on_the_same_day_twice_is_a_form_error(admin_client, center):
    url = reverse("setup:closures", args=[center.pk])
    data = {"action": "closure", "closure-date": "2026-12-24", "closure-reason": "Christmas Eve"}
    assert admin_client.post(url, data).status_code == 302
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert Closure.objects.filter(center=center).count() == 1


def test_chairs_are_added_renamed_and_reordered(admin_client, center):
    url = reverse("setup:chairs", args=[center.pk])
    for label in ("C1", "C2", "B1"):
        kind = "bed" if label.startswith("B") else "chair"
        assert admin_client.post(url, {"label": label, "kind": kind, "features": ["pump"]}).status_code == 302
    refused = admin_client.post(url, {"label": "C1", "kind": "chair"})
    assert refused.status_code == 200 and center.chairs.count() == 3
    b1 = center.chairs.get(label="B1")
    admin_client.post(reverse("setup:chair_move", args=[center.pk, b1.pk]), {"direction": "up"})
    assert [c.label for c in center.chairs.all()] == ["C1", "B1", "C2"]
    admin_client.post(
        reverse("setup:chair_edit", args=[center.pk, b1.pk]), {"label": "Bed 1", "kind": "bed", "features": ["pump"]}
    )
    b1.refresh_from_db()
    assert b1.label == "Bed 1"


def test_a_chair_with_bookings_ahead_is_not_deactivated_and_lists_what_must_move(admin_client, center, chair):
    appointment = AppointmentFactory(center=center, chair=chair, start=dt.datetime(2026, 12, 9, 9, tzinfo=NEW_YORK))
    url = reverse("setup:chair_deactivate", args=[center.pk, chair.pk])
    response = admin_client.post(url)
    assert response.status_code == 409
    assert reverse("appointment_detail", args=[appointment.pk]) in response.content.decode()
    chair.refresh_from_db()
    assert chair.is_active
    appointment.start, appointment.end = (
        dt.datetime(2026, 12, 1, 9, tzinfo=NEW_YORK),
        dt.datetime(2026, 12, 1, 12, tzinfo=NEW_YORK),
    )
    appointment.save()
    assert admin_client.post(url).status_code == 302
    chair.refresh_from_db()
    assert not chair.is_active


def test_a_maintenance_block_is_entered_in_the_centers_zone(admin_client, center, chair):
    url = reverse("setup:chair_blocks", args=[center.pk, chair.pk])
    data = {
        "start_date": "2026-12-10",
        "start_time": "09:00",
        "end_date": "2026-12-10",
        "end_time": "11:30",
        "reason": "Pump service",
    }
    assert admin_client.post(url, data).status_code == 302
    block = ChairBlock.objects.get(chair=chair)
    assert block.start == dt.datetime(2026, 12, 10, 14, 0, tzinfo=dt.UTC)


def test_a_block_at_a_time_daylight_saving_skips_is_refused(admin_client, center, chair):
    url = reverse("setup:chair_blocks", args=[center.pk, chair.pk])
    data = {"start_date": "2027-03-14", "start_time": "02:30", "end_date": "2027-03-14", "end_time": "05:00"}
    response = admin_client.post(url, data | {"reason": "x"})
    assert "does not exist" in response.content.decode()
    assert not ChairBlock.objects.exists()
    backwards = {"start_date": "2026-12-10", "start_time": "11:00", "end_date": "2026-12-10", "end_time": "10:00"}
    response = admin_client.post(url, backwards | {"reason": "x"})
    assert "The end must be after the start." in response.content.decode()


def test_staff_invitation_emails_a_set_password_link_that_works(
    admin_client, center, client, mailoutbox, django_capture_on_commit_callbacks
):
    invite = {"username": "nell.new", "first_name": "Nell", "last_name": "New", "email": "nell@example.org"}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("setup:staff", args=[center.pk]), invite | {"roles": ["nurse"]})
    assert response.status_code == 302
    user = center.staff.get(username="nell.new")
    assert user.groups.filter(name="nurse").exists()
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/set-password/" in line)
    path = link.split("testserver", 1)[1]
    client.logout()
    form_page = client.get(path, follow=True)
    assert "Set your password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-long-pass-phrase-9", "new_password2": "a-long-pass-phrase-9"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-long-pass-phrase-9")


def test_staff_form_refuses_a_taken_user_name_and_no_way_to_sign_in(admin_client, center, nurse):
    url = reverse("setup:staff", args=[center.pk])
    taken = admin_client.post(
        url, {"username": nurse.username, "first_name": "A", "last_name": "B", "roles": ["nurse"]}
    )
    assert "That user name is taken." in taken.content.decode()
    no_email = admin_client.post(url, {"username": "x.y", "first_name": "A", "last_name": "B", "roles": ["nurse"]})
    assert "An invitation needs an email address" in no_email.content.decode()


def test_staff_list_shows_roles_and_last_sign_in(admin_client, center, nurse):
    nurse.last_login = dt.datetime(2026, 11, 30, 13, 5, tzinfo=dt.UTC)
    nurse.save()
    page = admin_client.get(reverse("setup:staff", args=[center.pk])).content.decode()
    assert "Nurse" in page and "30 Nov 2026 08:05" in page


def test_roles_are_changed_and_staff_removed_with_their_future_shifts(admin_client, center, nurse):
    admin_client.post(reverse("setup:staff_edit", args=[center.pk, nurse.pk]), {"roles": ["nurse", "front_desk"]})
    assert set(nurse.groups.values_list("name", flat=True)) == {"nurse", "front_desk"}
    past = NurseShiftFactory(center=center, nurse=nurse, start=dt.datetime(2026, 11, 30, 7, tzinfo=NEW_YORK))
    NurseShiftFactory(center=center, nurse=nurse, start=dt.datetime(2026, 12, 7, 7, tzinfo=NEW_YORK))
    admin_client.post(reverse("setup:staff_deactivate", args=[center.pk, nurse.pk]))
    nurse.refresh_from_db()
    assert not nurse.is_active
    assert list(nurse.shifts.all()) == [past]


def test_the_checklist_says_what_a_new_center_still_lacks(admin_client, center_admin):
    empty = Center.objects.create(name="Brand New Infusion")
    empty.staff.add(center_admin)
    page = admin_client.get(reverse("setup:center", args=[empty.pk])).content.decode()
    assert page.count("To do") == 5
    OpeningHours.objects.create(center=empty, weekday=0, opens=dt.time(8), closes=dt.time(16))
    ChairFactory(center=empty)
    person = UserFactory(role="nurse", center=empty)
    NurseShiftFactory(center=empty, nurse=person, start=dt.datetime(2026, 12, 7, 8, tzinfo=NEW_YORK))
    admin_client.post(reverse("setup:protocols", args=[empty.pk]))
    page = admin_client.get(reverse("setup:center", args=[empty.pk])).content.decode()
    assert "To do" not in page and "this center can book" in page
