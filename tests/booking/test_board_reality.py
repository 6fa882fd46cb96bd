"""The board shows what really happens: actual chair time beside the booking, late-running patients who
will delay the chair's next booking; the week view; the printed day sheet; moves dropped on the board;
compressed refreshes."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from django.urls import reverse

from scheduling.models import AppointmentStatus, ChairStage
from scheduling.selectors import board_for, week_for
from tests.booking.conftest import at
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


def rows_of(board):
    return {row.chair.label: row for group in board.groups for row in group.rows}


def seated(appointment, when, *, stage=ChairStage.INFUSING):
    appointment.status = AppointmentStatus.CHECKED_IN
    appointment.chair_stage = stage
    appointment.arrived_at = when
    appointment.chair_start_at = when
    appointment.save()
    return appointment


def test_patient_seated_early_is_drawn_where_she_really_sits(staffed_center, monday, protocol):
    c01 = staffed_center.test_chairs[0]
    # Booked at 17:00 (ends past closing: the board widens), seated at 13:05; it is now 14:00.
    appointment = seated(
        AppointmentFactory(center=staffed_center, chair=c01, protocol=protocol, start=at(monday, 15)), at(monday, 13, 5)
    )
    board = board_for(center=staffed_center, day=monday, now=at(monday, 14))
    item = rows_of(board)["C01"].items[0]
    assert item.actual_label == "In the chair 13:05–now"
    span = (board.closes - board.opens).total_seconds()
    left = (at(monday, 13, 5) - board.opens).total_seconds() * 100 / span
    width = (at(monday, 14) - at(monday, 13, 5)).total_seconds() * 100 / span
    drawn_left, drawn_width = (float(part.split(":")[1].strip(" %")) for part in item.actual_position.split(";"))
    assert drawn_left == pytest.approx(left, abs=1e-3) and drawn_width == pytest.approx(width, abs=1e-3)
    # Later, the bar has grown with the clock.
    later = rows_of(board_for(center=staffed_center, day=monday, now=at(monday, 14, 30)))["C01"].items[0]
    assert later.actual_label == "In the chair 13:05–now" and later.actual_position != item.actual_position
    assert appointment.pk == item.appointment.pk


def test_discharged_patient_shows_seating_to_discharge(staffed_center, monday, protocol):
    appointment = AppointmentFactory(
        center=staffed_center, chair=staffed_center.test_chairs[0], protocol=protocol, start=at(monday, 9)
    )
    appointment.status = AppointmentStatus.FULFILLED
    appointment.chair_start_at = at(monday, 9, 10)
    appointment.discharged_at = at(monday, 12, 40)
    appointment.save()
    item = rows_of(board_for(center=staffed_center, day=monday, now=at(monday, 16)))["C01"].items[0]
    assert item.actual_label == "In the chair 09:10–12:40"


def test_booked_patient_not_seated_has_no_actual_bar(staffed_center, monday, protocol):
    AppointmentFactory(
        center=staffed_center, chair=staffed_center.test_chairs[0], protocol=protocol, start=at(monday, 9)
    )
    item = rows_of(board_for(center=staffed_center, day=monday, now=at(monday, 10)))["C01"].items[0]
    assert item.actual_position == "" and item.late_note == ""


def test_late_running_infusion_that_will_push_the_next_booking_is_marked(
    nurse_client, nurse, staffed_center, monday, protocol, time_machine
):
    c01 = staffed_center.test_chairs[0]
    first = AppointmentFactory(center=staffed_center, chair=c01, protocol=protocol, start=at(monday, 8))
    # Booked 08:00–13:10 (310 min) but seated only at 09:00: expected to free the chair at 14:10.
    seated(first, at(monday, 9))
    second = AppointmentFactory(
        center=staffed_center,
        chair=c01,
        protocol=protocol,
        start=first.end,
        patient=PatientFactory(center=staffed_center),
    )
    board = board_for(center=staffed_center, day=monday, now=at(monday, 10))
    items = {i.appointment.pk: i for i in rows_of(board)["C01"].items}
    assert items[first.pk].late_note == (
        "Running late: expected to free the chair at 14:10, after the next booking at 13:10"
    )
    assert items[second.pk].delayed_note == "Delayed: the chair is expected free at 14:10"
    time_machine.move_to(at(monday, 10), tick=False)
    nurse_client.force_login(nurse)  # a session of that day
    body = nurse_client.get(f"{reverse('board')}?center={staffed_center.pk}&date={monday.isoformat()}").content.decode()
    assert "is-late" in body and ">Late</span>" in body and "is-delayed" in body
    assert "In the chair 09:00–now" in body


def test_infusion_on_time_marks_nothing(staffed_center, monday, protocol):
    c01 = staffed_center.test_chairs[0]
    first = seated(
        AppointmentFactory(center=staffed_center, chair=c01, protocol=protocol, start=at(monday, 8)), at(monday, 8)
    )
    AppointmentFactory(
        center=staffed_center,
        chair=c01,
        protocol=protocol,
        start=first.end,
        patient=PatientFactory(center=staffed_center),
    )
    board = board_for(center=staffed_center, day=monday, now=at(monday, 10))
    assert all(not i.late_note and not i.delayed_note for i in rows_of(board)["C01"].items)


def test_short_infusions_get_the_compact_tile(staffed_center, monday, protocol):
    AppointmentFactory(
        center=staffed_center,
        chair=staffed_center.test_chairs[0],
        protocol=protocol,
        start=at(monday, 9),
        end=at(monday, 9, 45),
    )
    AppointmentFactory(
        center=staffed_center, chair=staffed_center.test_chairs[1], protocol=protocol, start=at(monday, 9)
    )
    rows = rows_of(board_for(center=staffed_center, day=monday, now=at(monday, 7)))
    assert rows["C01"].items[0].is_compact and not rows["C02"].items[0].is_compact


def test_week_view_shows_booked_share_per_chair_and_day_part(nurse_client, staffed_center, monday, protocol):
    c01 = staffed_center.test_chairs[0]
    AppointmentFactory(center=staffed_center, chair=c01, protocol=protocol, start=at(monday, 7), end=at(monday, 10))
    AppointmentFactory(
        center=staffed_center,
        chair=c01,
        protocol=protocol,
        start=at(monday + dt.timedelta(days=2), 12),
        end=at(monday + dt.timedelta(days=2), 18),
    )
    week = week_for(center=staffed_center, day=monday + dt.timedelta(days=3))
    assert week.monday == monday
    row = next(r for r in week.rows if r.chair == c01)
    assert [c.percent for c in row.cells[:3]] == [25, 0, 50]  # 3 h and 6 h of 12 h open
    assert week.days[0].morning.booked_minutes == 180 and week.days[0].afternoon.booked_minutes == 0
    assert week.days[2].afternoon.booked_minutes == 360
    assert not week.days[5].is_open  # the center opens Monday to Friday
    response = nurse_client.get(f"{reverse('board_week')}?center={staffed_center.pk}&date={monday.isoformat()}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<strong>25%</strong> · 1 booked" in body and "Closed" in body


def test_day_sheet_lists_each_booking_with_protocol_dose_and_readiness(nurse_client, staffed_center, monday, protocol):
    patient = PatientFactory(center=staffed_center, first_name="Ann", last_name="Smith", mrn="MRN777")
    AppointmentFactory(
        center=staffed_center,
        chair=staffed_center.test_chairs[1],
        patient=patient,
        protocol=protocol,
        start=at(monday, 9),
    )
    response = nurse_client.get(f"{reverse('board_sheet')}?center={staffed_center.pk}&date={monday.isoformat()}")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Ann Smith" in body and "MRN MRN777" in body and "OCR — Ocrelizumab" in body
    assert "09:00–14:10" in body and ">C02</th>" in body
    assert "No appointments on this day." not in body


def move_confirm_url(appointment, chair, start) -> str:
    query = f"search=1&from=board&chair={chair.pk}&start={start.isoformat().replace('+', '%2B')}"
    return f"{reverse('appointment_move_confirm', args=[appointment.pk])}?{query}"


def test_move_dropped_on_a_free_slot_asks_for_confirmation(nurse_client, staffed_center, monday, protocol):
    appointment = AppointmentFactory(
        center=staffed_center, chair=staffed_center.test_chairs[0], protocol=protocol, start=at(monday, 9)
    )
    response = nurse_client.get(move_confirm_url(appointment, staffed_center.test_chairs[2], at(monday, 11)))
    assert response.status_code == 200
    assert "Move this appointment?" in response.content.decode()


def test_move_dropped_on_a_taken_chair_is_refused_like_the_move_page(nurse_client, staffed_center, monday, protocol):
    c01, c02 = staffed_center.test_chairs[:2]
    appointment = AppointmentFactory(center=staffed_center, chair=c01, protocol=protocol, start=at(monday, 9))
    AppointmentFactory(
        center=staffed_center,
        chair=c02,
        protocol=protocol,
        start=at(monday, 9),
        patient=PatientFactory(center=staffed_center),
    )
    response = nurse_client.get(move_confirm_url(appointment, c02, at(monday, 10)))
    assert response.status_code == 409
    body = response.content.decode()
    assert "Sorry, this slot was just taken by someone else. The appointment was not moved." in body
    assert "Move here…" in body  # fresh candidates, as on the move page


def test_board_refresh_and_arrivals_are_compressed(nurse_client, nurse, staffed_center, monday, protocol, time_machine):
    time_machine.move_to(at(monday, 8), tick=False)  # the same "Updated" time in both answers
    nurse_client.force_login(nurse)
    for n, chair in enumerate(staffed_center.test_chairs):
        AppointmentFactory(center=staffed_center, chair=chair, protocol=protocol, start=at(monday, 7 + n))
    url = f"{reverse('board')}?center={staffed_center.pk}&date={monday.isoformat()}"
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "board-live"}
    plain = nurse_client.get(url, **headers)
    packed = nurse_client.get(url, HTTP_ACCEPT_ENCODING="gzip", **headers)
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 3
    arrivals = nurse_client.get(reverse("arrivals"), HTTP_ACCEPT_ENCODING="gzip")
    assert arrivals["Content-Encoding"] == "gzip"
