"""Front-desk and floor pages: arrivals, waiting room, in chairs, each flow step, scoping and permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AppointmentFactory, ChairFactory, PatientFactory, UserFactory
from tests.frontdesk.conftest import at


def act(client, appointment, action, htmx=False, **data):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(reverse("flow_action", args=[appointment.pk, action]), data, **headers)


def status_of(appointment) -> tuple[str, str]:
    appointment.refresh_from_db()
    return appointment.status, appointment.chair_stage


# --- Arrivals ---------------------------------------------------------------------------------------


def test_arrivals_lists_today_in_expected_order(front_desk_client, clock, center, chair, protocol):
    late = AppointmentFactory(center=center, chair=chair, protocol=protocol, start=at(15), patient__last_name="Zimmer")
    early = AppointmentFactory(
        center=center, chair=chair, protocol=protocol, start=at(7, 30), patient__last_name="Young"
    )
    AppointmentFactory(
        center=center, chair=chair, protocol=protocol, start=at(9).replace(day=8), patient__last_name="Tomorrow"
    )
    response = front_desk_client.get(reverse("arrivals"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Young") < html.index("Zimmer")
    assert "Tomorrow" not in html
    assert f'id="appointment-{early.pk}"' in html and f'id="appointment-{late.pk}"' in html
    assert "Check in" in html


@pytest.mark.parametrize(
    "query", ["rosalind", "FRANKLIN", "Franklin Rosalind", "MRN-RF-1", "rf-1", "1961-04-12", "04/12/1961"]
)
def test_arrivals_search_by_name_mrn_or_birth_date(front_desk_client, clock, center, chair, protocol, query):
    found = PatientFactory(center=center, first_name="Rosalind", last_name="Franklin", mrn="MRN-RF-1")
    other = PatientFactory(center=center, first_name="Otto", last_name="Other", date_of_birth="1970-01-01")
    AppointmentFactory(center=center, chair=chair, protocol=protocol, patient=found, start=at(9))
    AppointmentFactory(center=center, chair=ChairFactory(center=center), protocol=protocol, patient=other, start=at(9))
    response = front_desk_client.get(
        reverse("arrivals"), {"q": query}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="arrivals-list"
    )
    html = response.content.decode()
    assert "Franklin" in html and "Other" not in html
    assert "<html" not in html  # the htmx search swaps only the list


def test_check_in_records_arrival_time_and_shows_in_waiting_room(front_desk_client, clock, booked):
    clock.set(at(8, 52))
    response = act(front_desk_client, booked, "check_in")
    assert response.status_code == 302
    booked.refresh_from_db()
    assert booked.status == "arrived" and booked.arrived_at == at(8, 52)
    clock.set(at(9, 10))
    page = front_desk_client.get(reverse("waiting_room")).content.decode()
    assert booked.patient.last_name in page and "18 min" in page


def test_htmx_check_in_answers_with_message_and_refresh_trigger(front_desk_client, clock, booked):
    response = act(front_desk_client, booked, "check_in", htmx=True)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "flowChanged"
    assert f"{booked.patient.full_name} is checked in (09:00)." in response.content.decode()


def test_checking_in_twice_says_why_instead_of_failing(front_desk_client, clock, booked):
    act(front_desk_client, booked, "check_in")
    response = act(front_desk_client, booked, "check_in", htmx=True)
    assert response.status_code == 200
    assert "Cannot check in: the appointment is arrived." in response.content.decode()
    response = act(front_desk_client, booked, "check_in")
    assert response.status_code == 302
    assert "Cannot check in" in front_desk_client.get(response.url).content.decode()


def test_undo_check_in(front_desk_client, clock, booked):
    act(front_desk_client, booked, "check_in")
    act(front_desk_client, booked, "undo_check_in")
    booked.refresh_from_db()
    assert (booked.status, booked.arrived_at) == ("booked", None)


def test_no_show_offered_only_after_grace_period(front_desk_client, clock, booked):
    clock.set(at(9, 10))
    html = front_desk_client.get(reverse("arrivals")).content.decode()
    assert "Mark no-show" not in html and "No-show from 09:30" in html
    act(front_desk_client, booked, "no_show")
    assert status_of(booked) == ("booked", "")
    clock.set(at(9, 30))
    assert "Mark no-show" in front_desk_client.get(reverse("arrivals")).content.decode()
    act(front_desk_client, booked, "no_show")
    assert status_of(booked) == ("noshow", "")


def test_same_day_cancel_needs_a_reason(front_desk_client, clock, booked):
    response = act(front_desk_client, booked, "cancel", htmx=True, cancelled_by="patient", reason="  ")
    assert "Give a reason" in response.content.decode()
    assert status_of(booked) == ("booked", "")
    act(front_desk_client, booked, "cancel", cancelled_by="patient", reason="Feeling unwell")
    booked.refresh_from_db()
    assert (booked.status, booked.cancelled_by, booked.cancel_reason) == ("cancelled", "patient", "Feeling unwell")
    assert "Feeling unwell" in front_desk_client.get(reverse("arrivals")).content.decode()


# --- Waiting room -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("waited", "level"), [(10, "ok"), (16, "warning"), (31, "danger")])
def test_waiting_room_colours_long_waits(front_desk_client, clock, booked, waited, level):
    clock.set(at(8, 30))
    act(front_desk_client, booked, "check_in")
    clock.set(at(8, 30) + dt.timedelta(minutes=waited))
    html = front_desk_client.get(
        reverse("waiting_room"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="waiting-list"
    ).content.decode()
    assert f"{waited} min" in html
    assert f'data-wait-level="{level}"' in html
    assert 'hx-trigger="every 30s, flowChanged from:body" data-polls-while-active' in html  # while in use


def test_waiting_room_lists_only_arrived_patients(front_desk_client, clock, booked, center, protocol):
    seated = AppointmentFactory(
        center=center, protocol=protocol, start=at(9), status="checked-in", chair_stage="in_chair"
    )
    html = front_desk_client.get(reverse("waiting_room")).content.decode()
    assert "Nobody is waiting" in html
    act(front_desk_client, booked, "check_in")
    html = front_desk_client.get(reverse("waiting_room")).content.decode()
    assert booked.patient.last_name in html and seated.patient.last_name not in html


# --- Nurses: seat, infuse, observe, discharge ------------------------------------------------------------


def test_nurse_moves_patient_through_the_chair(nurse_client, clock, staffed, booked):
    act(nurse_client, booked, "check_in")
    html = nurse_client.get(reverse("waiting_room")).content.decode()
    assert "Seat in chair" in html and "C01 (booked)" in html
    clock.set(at(9, 5))
    act(nurse_client, booked, "seat", chair=booked.chair_id)
    assert status_of(booked) == ("checked-in", "in_chair")
    html = nurse_client.get(reverse("in_chairs")).content.decode()
    assert booked.patient.last_name in html and "Start infusion" in html
    clock.set(at(9, 40))
    act(nurse_client, booked, "start_infusion")
    clock.set(at(13, 10))
    act(nurse_client, booked, "start_observation")
    clock.set(at(14, 15))  # 210 min infusion + 60 min observation after 09:40
    act(nurse_client, booked, "complete")
    booked.refresh_from_db()
    assert booked.status == "fulfilled"
    assert [booked.chair_start_at, booked.infusion_start_at, booked.observation_start_at, booked.discharged_at] == [
        at(9, 5), at(9, 40), at(13, 10), at(14, 15)]  # fmt: skip
    assert f'id="chair-row-{booked.pk}"' not in nurse_client.get(reverse("in_chairs")).content.decode()


def test_nurse_can_seat_on_another_free_chair(nurse_client, clock, staffed, booked):
    free = ChairFactory(center=booked.center, label="C02")
    act(nurse_client, booked, "check_in")
    html = nurse_client.get(reverse("waiting_room")).content.decode()
    assert f'<option value="{free.pk}">C02</option>' in html
    act(nurse_client, booked, "seat", chair=free.pk)
    booked.refresh_from_db()
    assert (booked.chair, booked.chair_stage) == (free, "in_chair")


def test_seating_on_a_taken_chair_is_refused_with_the_reason(nurse_client, clock, staffed, booked, protocol):
    taken = ChairFactory(center=booked.center, label="C02")
    AppointmentFactory(center=booked.center, chair=taken, protocol=protocol, start=at(10))
    act(nurse_client, booked, "check_in")
    assert f'<option value="{taken.pk}">' not in nurse_client.get(reverse("waiting_room")).content.decode()
    response = act(nurse_client, booked, "seat", htmx=True, chair=taken.pk)
    assert "already booked" in response.content.decode()
    assert status_of(booked) == ("arrived", "")


@pytest.mark.parametrize("action", ["seat", "start_infusion", "start_observation", "complete", "enter_in_error"])
def test_front_desk_cannot_do_nurses_steps(front_desk_client, clock, booked, action):
    act(front_desk_client, booked, "check_in")
    assert act(front_desk_client, booked, action).status_code == 403


def test_front_desk_sees_no_seat_button(front_desk_client, clock, booked):
    act(front_desk_client, booked, "check_in")
    assert "Seat in chair" not in front_desk_client.get(reverse("waiting_room")).content.decode()


# --- Every action: POST only, CSRF, permission, center scope -----------------------------------------


def test_actions_are_post_only(front_desk_client, clock, booked):
    response = front_desk_client.get(reverse("flow_action", args=[booked.pk, "check_in"]))
    assert response.status_code == 405
    assert status_of(booked) == ("booked", "")


def test_actions_need_a_csrf_token(client, front_desk, clock, booked):
    client.handler.enforce_csrf_checks = True
    client.force_login(front_desk)
    assert act(client, booked, "check_in").status_code == 403
    assert status_of(booked) == ("booked", "")


def test_unknown_action_is_a_message_not_an_error(front_desk_client, clock, booked):
    response = act(front_desk_client, booked, "confirm", htmx=True)
    assert "not a step of the patient flow" in response.content.decode()


def test_other_centers_appointments_are_404(client, clock, other_center, protocol):
    foreign = AppointmentFactory(center=other_center, protocol=protocol, start=at(9))
    client.force_login(UserFactory(role="front_desk", center=ChairFactory().center))
    for action in ("check_in", "cancel", "no_show"):
        assert act(client, foreign, action, reason="x", cancelled_by="patient").status_code == 404
    assert client.get(reverse("late_arrival", args=[foreign.pk])).status_code == 404
    assert status_of(foreign) == ("booked", "")


def test_other_centers_appointments_do_not_show(front_desk_client, clock, center, other_center, protocol):
    AppointmentFactory(center=other_center, protocol=protocol, start=at(9), patient__last_name="Elsewhere")
    assert "Elsewhere" not in front_desk_client.get(reverse("arrivals")).content.decode()
    response = front_desk_client.get(reverse("arrivals"), {"center": other_center.pk})
    assert "Elsewhere" not in response.content.decode()


def test_user_without_view_permission_is_refused(client, clock, center, booked):
    nobody = UserFactory(center=center)
    client.force_login(nobody)
    assert client.get(reverse("arrivals")).status_code == 403
    assert act(client, booked, "check_in").status_code == 403


def test_pages_require_login(client, db):
    for name in ("arrivals", "waiting_room", "in_chairs", "flow_report"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_user_without_center_sees_a_clear_message(client, clock, db):
    client.force_login(UserFactory(role="front_desk"))
    assert "not assigned to any center" in client.get(reverse("arrivals")).content.decode()


def test_nav_links_by_role(front_desk_client, clock, center):
    html = front_desk_client.get(reverse("arrivals")).content.decode()
    assert 'href="/arrivals/"' in html and 'href="/waiting-room/"' in html
    assert 'href="/in-chairs/"' not in html


# --- Permissions: front desk cannot edit protocols or center settings ----------------------------------


def test_front_desk_cannot_edit_protocols_or_center_settings_in_admin(client, front_desk, center, protocol):
    front_desk.is_staff = True
    front_desk.save()
    client.force_login(front_desk)
    read_only = client.get(f"/admin/scheduling/protocol/{protocol.pk}/change/")
    assert read_only.status_code in (200, 403) and 'name="_save"' not in read_only.content.decode()
    assert client.post(f"/admin/scheduling/protocol/{protocol.pk}/change/", {"name": "Changed"}).status_code == 403
    assert client.get("/admin/scheduling/protocol/add/").status_code == 403
    assert client.post(f"/admin/chairs/center/{center.pk}/change/", {"name": "Renamed"}).status_code == 403
    for model in ("chairs/chair", "chairs/openinghours", "chairs/closure", "chairs/nurseshift", "scheduling/protocol"):
        assert client.post(f"/admin/{model}/add/", {}).status_code in (403, 404), model  # 404: edited inline
    protocol.refresh_from_db()
    center.refresh_from_db()
    assert protocol.name == "Ocrelizumab" and center.name == "Riverside Neurology Infusion"


def test_front_desk_without_staff_flag_cannot_reach_admin(front_desk_client, center):
    response = front_desk_client.get(f"/admin/chairs/center/{center.pk}/change/")
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_front_desk_cannot_change_protocols_or_center_via_api(front_desk_client, center, protocol):
    response = front_desk_client.patch(
        f"/api/v1/protocols/{protocol.pk}/", {"name": "Changed"}, content_type="application/json"
    )
    assert response.status_code in (403, 404, 405)
    response = front_desk_client.patch(
        f"/api/v1/centers/{center.pk}/", {"name": "Renamed"}, content_type="application/json"
    )
    assert response.status_code in (403, 404, 405)
    protocol.refresh_from_db()
    center.refresh_from_db()
    assert protocol.name == "Ocrelizumab" and center.name == "Riverside Neurology Infusion"


def test_front_desk_lacks_protocol_and_center_change_permissions(front_desk):
    for perm in ("scheduling.change_protocol", "scheduling.add_protocol", "scheduling.delete_protocol",
                 "chairs.change_center", "chairs.change_openinghours", "chairs.add_chair"):  # fmt: skip
        assert not front_desk.has_perm(perm), perm


def test_arrivals_counts_the_day(front_desk_client, clock, center, chair, protocol):
    for hour, status in ((7, "fulfilled"), (8, "arrived"), (10, "booked"), (11, "booked"), (12, "noshow")):
        AppointmentFactory(
            center=center, chair=chair, protocol=protocol, start=at(hour), end=at(hour, 50), status=status
        )
    html = front_desk_client.get(reverse("arrivals")).content.decode()
    assert '<span class="fw-semibold">2</span> expected' in html
    assert '<span class="fw-semibold">1</span> waiting' in html
    assert '<span class="fw-semibold">1</span> discharged' in html


def test_walk_in_goes_to_the_slot_finder_for_today(front_desk_client, clock, center):
    html = front_desk_client.get(reverse("arrivals"), {"q": "nobody-here"}).content.decode()
    assert "No appointment today matches" in html
    assert f"{reverse('slot_finder')}?center={center.pk}&amp;date_from=2026-12-07&amp;date_to=2026-12-07" in html


def test_readiness_badge_shows_on_arrivals(front_desk_client, clock, booked):
    html = front_desk_client.get(reverse("arrivals")).content.decode()
    assert "data-readiness=" in html


def test_patient_left_in_a_chair_yesterday_can_still_be_discharged(nurse_client, clock, center, chair, protocol):
    forgotten = AppointmentFactory(
        center=center, chair=chair, protocol=protocol, start=at(9) - dt.timedelta(days=1),
        status="checked-in", chair_stage="observation",
    )  # fmt: skip
    assert f'id="chair-row-{forgotten.pk}"' in nurse_client.get(reverse("in_chairs")).content.decode()
    act(nurse_client, forgotten, "complete")
    assert status_of(forgotten) == ("fulfilled", "")


def test_pages_query_count_does_not_grow_with_the_day(nurse_client, clock, staffed, center, protocol):
    def add_appointments(count):
        for n in range(count):
            arrived = n % 2 == 1
            AppointmentFactory(center=center, chair=ChairFactory(center=center), protocol=protocol, start=at(8),
                               status="arrived" if arrived else "booked", arrived_at=at(7, 50) if arrived else None)  # fmt: skip

    def queries(name):
        assert nurse_client.get(reverse(name)).status_code == 200  # fills the process's caches (new chairs)
        with CaptureQueriesContext(connection) as captured:
            assert nurse_client.get(reverse(name)).status_code == 200
        return len(captured)

    add_appointments(2)
    before = {name: queries(name) for name in ("arrivals", "waiting_room", "in_chairs")}
    add_appointments(8)
    assert {name: queries(name) for name in before} == before


def test_lists_pause_refreshing_on_an_idle_screen(front_desk_client, clock):
    html = front_desk_client.get(reverse("waiting_room")).content.decode()
    assert "js/frontdesk.js" in html
    assert 'data-idle-seconds="86400"' in html  # the session's idle time (24 h in these tests)
    assert "Automatic refresh paused" in html


def test_discharge_before_the_protocols_time_asks_for_a_reason_and_records_it(nurse_client, clock, staffed, booked):
    act(nurse_client, booked, "check_in")
    clock.set(at(9, 5))
    act(nurse_client, booked, "seat", chair=booked.chair_id)
    clock.set(at(9, 10))
    act(nurse_client, booked, "start_infusion")
    clock.set(at(9, 15))  # five minutes into a 210-minute infusion with 60 minutes of observation
    answer = act(nurse_client, booked, "complete", htmx=True).content.decode()
    assert "not over until 13:40: give the reason to discharge early" in answer
    assert 'name="early_reason"' in answer and "Discharge early" in answer
    assert status_of(booked) == ("checked-in", "infusing")  # nothing changed
    assert act(nurse_client, booked, "complete").status_code == 409  # without htmx: the same question, a page
    act(nurse_client, booked, "complete", htmx=True, early_reason="Infusion reaction: sent to the emergency room")
    assert status_of(booked) == ("fulfilled", "")
    detail = nurse_client.get(reverse("appointment_detail", args=[booked.pk])).content.decode()
    assert "Reason: Infusion reaction: sent to the emergency room" in detail
