"""The chair board: rows per chair, blocks placed by time, staffing strip, constant queries, scoping."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chairs.models import Closure
from scheduling.selectors import board_for
from tests.booking.conftest import at
from tests.factories import AppointmentFactory, ChairBlockFactory, ChairFactory, PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def board_url(center, day):
    return f"{reverse('board')}?center={center.pk}&date={day.isoformat()}"


def test_board_shows_each_appointment_on_its_chair(nurse_client, staffed_center, monday, protocol):
    c01, c02 = staffed_center.test_chairs[:2]
    patient = PatientFactory(center=staffed_center, first_name="Ann", last_name="Smith")
    appointment = AppointmentFactory(
        center=staffed_center, chair=c02, patient=patient, protocol=protocol, start=at(monday, 9), dose_number=1
    )
    response = nurse_client.get(board_url(staffed_center, monday))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Smith, Ann" in body and "OCR #1" in body
    assert reverse("appointment_detail", args=[appointment.pk]) in body
    board = response.context["board"]
    rows = {row.chair.label: row for group in board.groups for row in group.rows}
    assert [item.appointment.pk for item in rows["C02"].items] == [appointment.pk]
    assert rows["C01"].items == []
    # 07:00–19:00 is 12 h; 09:00 starts at 1/6 of the width.
    assert rows["C02"].items[0].left == pytest.approx(100 * 2 / 12, abs=1e-3)
    assert [g.label for g in board.groups] == ["Chairs", "Beds"]


def test_board_draws_status_and_chair_stage(nurse_client, staffed_center, monday, protocol):
    AppointmentFactory(
        center=staffed_center,
        chair=staffed_center.test_chairs[0],
        protocol=protocol,
        start=at(monday, 8),
        status="checked-in",
        chair_stage="infusing",
    )
    body = nurse_client.get(board_url(staffed_center, monday)).content.decode()
    assert "status-checked-in stage-infusing" in body and "Infusing" in body


def test_cancelled_appointments_are_not_drawn(nurse_client, staffed_center, monday, protocol):
    AppointmentFactory(
        center=staffed_center,
        chair=staffed_center.test_chairs[0],
        protocol=protocol,
        start=at(monday, 8),
        status="cancelled",
    )
    board = nurse_client.get(board_url(staffed_center, monday)).context["board"]
    assert board.appointment_count == 0 and board.freed_count == 1


def test_chair_blocks_and_closures_are_hatched(nurse_client, staffed_center, monday):
    ChairBlockFactory(
        chair=staffed_center.test_chairs[0], start=at(monday, 10), end=at(monday, 12), reason="Pump service"
    )
    body = nurse_client.get(board_url(staffed_center, monday)).content.decode()
    assert "board-block-item" in body and "Pump service" in body
    Closure.objects.create(center=staffed_center, date=monday, reason="Staff training")
    body = nurse_client.get(board_url(staffed_center, monday)).content.decode()
    assert "Closed on this day: Staff training" in body and "board-closed" in body


def test_staffing_strip_shows_nurses_and_capacity(nurse_client, staffed_center, monday, protocol):
    for chair in staffed_center.test_chairs[:4]:
        AppointmentFactory(center=staffed_center, chair=chair, protocol=protocol, start=at(monday, 9))
    board = nurse_client.get(board_url(staffed_center, monday)).context["board"]
    nine = next(s for s in board.slots if s.start == at(monday, 9))
    assert nine.nurses == 2 and nine.watch_capacity == 8 and nine.watched == 4
    # 4 starts in the 09:00 window, 2 nurses × 2 starts: at capacity, highlighted.
    assert nine.starts == 4 and nine.start_capacity == 4 and nine.is_start_full
    assert not nine.is_watch_full
    body = nurse_client.get(board_url(staffed_center, monday)).content.decode()
    assert "strip-cell is-full" in body


def test_now_line_only_on_today(staffed_center, monday):
    assert board_for(center=staffed_center, day=monday, now=at(monday, 10)).now_left == pytest.approx(
        100 * 3 / 12, abs=1e-3
    )
    assert board_for(center=staffed_center, day=monday, now=at(monday, 10) - dt.timedelta(days=1)).now_left is None


def test_htmx_poll_returns_the_live_part_only(nurse_client, staffed_center, monday):
    response = nurse_client.get(board_url(staffed_center, monday), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="board-live")
    body = response.content.decode()
    assert "board-scroll" in body and "<html" not in body


def test_board_polls_itself_within_thirty_seconds(nurse_client, staffed_center, monday):
    body = nurse_client.get(board_url(staffed_center, monday)).content.decode()
    assert 'hx-trigger="every 20s" data-polls-while-active' in body  # booking.js pauses it when idle


def test_other_centers_board_is_404(nurse_client, other_center, monday):
    assert nurse_client.get(board_url(other_center, monday)).status_code == 404


def test_front_desk_sees_the_board_too(front_desk_client, staffed_center, monday):
    assert front_desk_client.get(board_url(staffed_center, monday)).status_code == 200


def test_home_is_the_board_for_nurses(nurse_client, center):
    assert nurse_client.get(reverse("home")).url == reverse("board")


def test_home_is_arrivals_for_the_front_desk(front_desk_client, center):
    assert front_desk_client.get(reverse("home")).url == reverse("arrivals")


def test_home_is_center_setup_for_center_admins(admin_client_for_center, center):
    assert admin_client_for_center.get(reverse("home")).url == reverse("setup:index")


def test_home_explains_when_the_user_has_no_center(client, db):
    client.force_login(UserFactory(username="no.center"))
    assert "not assigned to any center" in client.get(reverse("home")).content.decode()


def _queries_for_board(client, center, day) -> int:
    """Queries of a board request once the process's caches are filled (a first request fills them)."""
    assert client.get(board_url(center, day)).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get(board_url(center, day)).status_code == 200
    return len(queries)


def _fill(center, day, protocol, chairs: int, per_chair: int):
    made = [ChairFactory(center=center, label=f"X{day:%d}{n:03d}") for n in range(chairs)]
    for chair in made:
        for k in range(per_chair):
            start = at(day, 7) + dt.timedelta(minutes=40 * k)
            AppointmentFactory(
                center=center, chair=chair, protocol=protocol, start=start, end=start + dt.timedelta(minutes=40)
            )


def test_board_query_count_does_not_grow_with_chairs_or_appointments(nurse_client, staffed_center, monday, protocol):
    _fill(staffed_center, monday, protocol, chairs=3, per_chair=2)
    small = _queries_for_board(nurse_client, staffed_center, monday)
    _fill(staffed_center, monday + dt.timedelta(days=1), protocol, chairs=1, per_chair=1)
    _fill(staffed_center, monday, protocol, chairs=0, per_chair=0)
    big_center_chairs = [ChairFactory(center=staffed_center, label=f"Y{n:03d}") for n in range(60)]
    for n, chair in enumerate(big_center_chairs):
        for k in range(5):
            start = at(monday, 7) + dt.timedelta(minutes=60 * k + n % 4 * 15)
            AppointmentFactory(
                center=staffed_center, chair=chair, protocol=protocol, start=start, end=start + dt.timedelta(minutes=45)
            )
    big = _queries_for_board(nurse_client, staffed_center, monday)
    assert big == small


def test_board_for_68_chairs_and_300_appointments_has_a_fixed_query_budget(
    nurse_client, staffed_center, monday, protocol, django_assert_max_num_queries
):
    for n in range(63):
        chair = ChairFactory(center=staffed_center, label=f"Z{n:03d}")
        for k in range(5):
            start = at(monday, 7) + dt.timedelta(minutes=120 * k + n % 8 * 15)
            AppointmentFactory(
                center=staffed_center,
                chair=chair,
                protocol=protocol,
                start=start,
                end=start + dt.timedelta(minutes=100),
            )
    with django_assert_max_num_queries(30):
        response = nurse_client.get(board_url(staffed_center, monday))
    assert response.context["board"].appointment_count == 315
    assert response.context["board"].chair_count == 68
