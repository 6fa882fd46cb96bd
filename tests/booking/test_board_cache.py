"""The board's cached fragment: the same HTML while nothing changes, fresh after every kind of write."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from chairs.models import Closure, OpeningHours
from infusion_center import versioned_cache
from regimens.models import Course, PatientWeight
from scheduling.board_fragment import board_html
from scheduling.invalidation import bump_center_days
from scheduling.models import Appointment
from scheduling.planner_input import PROTOCOLS_SCOPE
from tests.booking.conftest import at
from tests.factories import (
    AppointmentFactory,
    ChairBlockFactory,
    ChairFactory,
    NurseShiftFactory,
    PatientFactory,
    UserFactory,
)
from tests.treatment.conftest import make_order
from treatment.models import AuthorizationStatus, DocumentKind, Order, PrerequisiteDocument, PriorAuthorization

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(staffed_center, monday, protocol):
    patient = PatientFactory(center=staffed_center, first_name="Ann", last_name="Smith")
    return AppointmentFactory(
        center=staffed_center, chair=staffed_center.test_chairs[0], patient=patient, protocol=protocol,
        start=at(monday, 9), dose_number=1,
    )  # fmt: skip


def board(appointment, *, now=None):
    """The cached board of the appointment's day, as of the Friday before it (or ``now``)."""
    now = now or at(appointment.start.date() - dt.timedelta(days=3), 10)
    return board_html(center=appointment.center, day=appointment.start.astimezone(now.tzinfo).date(), now=now)


def test_the_fragment_is_served_from_the_cache_while_nothing_changes(booked, django_assert_num_queries):
    first = board(booked)
    with django_assert_num_queries(0):
        assert board(booked) == first


def test_a_new_booking_shows_at_once(booked, staffed_center, monday, protocol):
    before = board(booked)
    other = PatientFactory(center=staffed_center, last_name="Jones")
    AppointmentFactory(center=staffed_center, chair=staffed_center.test_chairs[1], patient=other,
                       protocol=protocol, start=at(monday, 11))  # fmt: skip
    after = board(booked)
    assert "Jones" not in before and "Jones" in after


def test_a_status_or_chair_stage_change_shows_at_once(booked):
    assert "board-appt status-checked-in" not in board(booked)
    booked.status, booked.chair_stage = "checked-in", "infusing"
    booked.save()
    assert "board-appt status-checked-in stage-infusing" in board(booked)


def test_a_cancelled_or_moved_booking_leaves_the_board_at_once(booked, monday):
    assert "Smith, Ann" in board(booked)
    old_start, old_end = booked.start, booked.end
    booked.start, booked.end = old_start + dt.timedelta(days=1), old_end + dt.timedelta(days=1)
    booked.times_before_move = (old_start, old_end)  # what services.move_appointment records
    booked.save()
    monday_board = board_html(center=booked.center, day=monday, now=at(monday - dt.timedelta(days=3), 10))
    assert "Smith, Ann" not in monday_board and "Smith, Ann" in board(booked)
    booked.status = "cancelled"
    booked.save()
    assert "Smith, Ann" not in board(booked)


def test_a_chair_block_shows_at_once(booked, staffed_center, monday):
    assert "Pump broken" not in board(booked)
    ChairBlockFactory(chair=staffed_center.test_chairs[2], start=at(monday, 12), end=at(monday, 14),
                      reason="Pump broken")  # fmt: skip
    assert "Pump broken" in board(booked)


def test_a_nurse_shift_changes_the_staffing_strip_at_once(booked, staffed_center, monday):
    assert "3 nurses on shift" not in board(booked)
    NurseShiftFactory(center=staffed_center, nurse=UserFactory(role="nurse", center=staffed_center),
                      start=at(monday, 7), end=at(monday, 19))  # fmt: skip
    assert "3 nurses on shift" in board(booked)


def test_center_setup_changes_show_at_once(booked, staffed_center, monday):
    assert "C09" not in board(booked)
    ChairFactory(center=staffed_center, label="C09")
    assert "C09" in board(booked)
    Closure.objects.create(center=staffed_center, date=monday, reason="Snow day")
    assert "Closed on this day: Snow day" in board(booked)


def test_changed_opening_hours_show_at_once(booked, staffed_center, monday):
    OpeningHours.objects.update_or_create(
        center=staffed_center, weekday=monday.weekday(), defaults={"opens": dt.time(7), "closes": dt.time(19)}
    )
    assert "Open 07:00–19:00" in board(booked)
    hours = OpeningHours.objects.get(center=staffed_center, weekday=monday.weekday())
    hours.opens = dt.time(6)
    hours.save()
    assert "Open 06:00–19:00" in board(booked)


def test_a_protocol_change_shows_at_once(booked, protocol):
    assert f"{protocol.code.upper()} #1" in board(booked)
    protocol.code = "newcode"
    protocol.save()
    assert "NEWCODE #1" in board(booked)


def test_a_patient_rename_shows_at_once(booked):
    assert "Smith, Ann" in board(booked)
    patient = booked.patient
    patient.last_name = "Smyth"
    patient.save()
    assert "Smyth, Ann" in board(booked)


def test_orders_authorizations_and_documents_change_readiness_at_once(booked, protocol):
    before = board(booked)
    assert "No doctor&#x27;s order for this protocol." in before
    order = Order.objects.create(
        patient=booked.patient, protocol=protocol, ordering_provider="Dr. Alvarez", start_date=dt.date(2020, 1, 1)
    )
    with_order = board(booked)
    assert "No doctor&#x27;s order" not in with_order and "No prior authorization is recorded" in with_order
    authorization = PriorAuthorization.objects.create(
        patient=booked.patient, order=order, payer="Blue Cross", status=AuthorizationStatus.PENDING
    )
    assert "Prior authorization with Blue Cross is pending." in board(booked)
    authorization.status, authorization.approved_from = AuthorizationStatus.APPROVED, dt.date(2020, 1, 1)
    authorization.save()
    assert "Prior authorization with Blue Cross" not in board(booked)


@pytest.fixture
def grid_renders():
    """Names of the board fragments rendered (a render is a cache miss)."""
    from django.test.signals import template_rendered

    renders: list[str] = []

    def seen(sender, template, **kwargs):
        if template.name == "scheduling/booking/_board_grid.html":
            renders.append(template.name)

    template_rendered.connect(seen)
    yield renders
    template_rendered.disconnect(seen)


def test_a_document_a_weight_or_the_patients_booking_on_another_day_builds_it_again(
    booked, protocol, monday, grid_renders
):
    """Readiness reads documents and the patient's other doses, the tile the weight: each is a miss."""
    board(booked)
    board(booked)
    assert len(grid_renders) == 1  # the second was a hit
    PrerequisiteDocument.objects.create(patient=booked.patient, kind=DocumentKind.MRI, performed_on=monday)
    board(booked)
    assert len(grid_renders) == 2
    PatientWeight.objects.create(patient=booked.patient, kg=Decimal("70.0"), measured_on=monday)
    board(booked)
    assert len(grid_renders) == 3
    AppointmentFactory(center=booked.center, chair=booked.chair, patient=booked.patient, protocol=protocol,
                       start=at(monday + dt.timedelta(days=14), 9), dose_number=2)  # fmt: skip
    board(booked)
    assert len(grid_renders) == 4
    PatientFactory(center=booked.center)  # another patient, not on this day: still a hit
    board(booked)
    assert len(grid_renders) == 4


def test_a_booked_course_is_the_patients_not_every_protocols(booked, protocol, staffed_center, monday, grid_renders):
    """A course booked for one patient builds the boards of that patient's days again, and leaves the
    protocols' version (every cached availability answer, every center's board) alone."""
    other_day = AppointmentFactory(
        center=staffed_center, chair=staffed_center.test_chairs[1], protocol=protocol,
        start=at(monday + dt.timedelta(days=1), 9),
    )  # fmt: skip
    board(booked)
    board(other_day)
    assert len(grid_renders) == 2
    protocols_before = versioned_cache.versions([PROTOCOLS_SCOPE])
    Course.objects.create(patient=booked.patient, protocol=protocol, first_dose=1, days=2)
    assert versioned_cache.versions([PROTOCOLS_SCOPE]) == protocols_before
    board(booked)
    assert len(grid_renders) == 3  # the patient's day is built again
    board(other_day)
    assert len(grid_renders) == 3  # another patient's day is still the cached one


def test_todays_board_moves_with_the_minute(booked, monday):
    at_nine = board_html(center=booked.center, day=monday, now=at(monday, 9, 0))
    same_minute = board_html(center=booked.center, day=monday, now=at(monday, 9, 0) + dt.timedelta(seconds=40))
    later = board_html(center=booked.center, day=monday, now=at(monday, 9, 1))
    assert same_minute == at_nine
    assert 'class="board-now"' in at_nine and later != at_nine


def test_nothing_per_user_is_inside_the_cached_fragment(client, booked, monday, staffed_center):
    """Two users with different permissions share the fragment; what differs is rendered around it."""
    nurse = UserFactory(role="nurse", center=staffed_center)
    viewer = UserFactory(role="pharmacy", center=staffed_center)  # may look, not move
    url = f"{reverse('board')}?center={staffed_center.pk}&date={monday.isoformat()}"
    client.force_login(nurse)
    nurse_page = client.get(url).content.decode()
    client.force_login(viewer)
    viewer_page = client.get(url).content.decode()
    assert "board-move-help" in nurse_page and "board-move-help" not in viewer_page
    fragment = board_html(center=staffed_center, day=monday)
    assert "csrfmiddlewaretoken" not in fragment and nurse.username not in fragment
    assert fragment in nurse_page and fragment in viewer_page


def rows_of(html: str) -> dict[str, str]:
    """Each chair's row of a board, by the chair's label."""
    rows = html.split('<div class="board-row" role="row">')[1:]
    return {re.search(r'data-chair-label="([^"]+)"', row).group(1): row for row in rows if "data-chair-label" in row}


@pytest.fixture
def busy_day(booked, staffed_center, monday, protocol):
    """Ann (booked, C01) and three more patients on C02–C04, one of them with an order (the others are not
    ready: their tiles carry a readiness badge that must survive a write to Ann's row)."""
    names = ["Jones", "Brown", "Lee"]
    others = []
    for chair, name in zip(staffed_center.test_chairs[1:4], names, strict=True):
        patient = PatientFactory(center=staffed_center, first_name="Pat", last_name=name)
        others.append(AppointmentFactory(center=staffed_center, chair=chair, patient=patient, protocol=protocol,
                                         start=at(monday, 10), dose_number=2))  # fmt: skip
    make_order(others[0].patient, protocol, start=monday - dt.timedelta(days=30), until=monday + dt.timedelta(days=300))
    return others


def test_after_a_chair_stage_change_only_that_row_is_drawn_again(booked, busy_day):
    booked.status, booked.chair_stage = "checked-in", "in_chair"
    booked.save()
    before = board(booked)
    booked.chair_stage = "infusing"
    booked.save(update_fields=["chair_stage", "updated_at"])
    after = board(booked)
    rows_before, rows_after = rows_of(before), rows_of(after)
    assert rows_after.keys() == rows_before.keys() == {"C01", "C02", "C03", "C04", "B1"}
    assert "stage-in_chair" in rows_before["C01"] and "In chair" in rows_before["C01"]
    assert "board-appt status-checked-in stage-infusing" in rows_after["C01"] and "Infusing" in rows_after["C01"]
    assert "stage-in_chair" not in rows_after["C01"]
    for label in ("C02", "C03", "C04", "B1"):
        assert rows_after[label] == rows_before[label], label
    # The others' readiness is shown as before: two not ready (no order), one ready.
    assert after.count('data-readiness="blocked"') == before.count('data-readiness="blocked"') == 2
    assert "No doctor&#x27;s order for this protocol." in rows_after["C03"]
    assert "readiness-badge" not in rows_after["C02"]


def test_a_readiness_change_of_one_patient_leaves_the_others_as_they_were(booked, busy_day, protocol, monday):
    before = board(booked)
    make_order(
        busy_day[1].patient, protocol, start=monday - dt.timedelta(days=30), until=monday + dt.timedelta(days=300)
    )  # Brown, on C03
    after = board(booked)
    assert "No doctor&#x27;s order" in rows_of(before)["C03"] and "No doctor&#x27;s order" not in rows_of(after)["C03"]
    for label in ("C01", "C02", "C04", "B1"):
        assert rows_of(after)[label] == rows_of(before)[label], label


def test_a_booking_changed_without_a_signal_never_keeps_its_old_readiness(booked, protocol, monday):
    """The few bulk ``update()`` callers bump the day, not the patient: the patient's notes are keyed by
    the booking's own columns too, so a dose number changed that way is assessed again."""
    make_order(
        booked.patient, protocol, start=monday - dt.timedelta(days=30), until=monday + dt.timedelta(days=300), doses=4
    )
    assert "Not ready" not in board(booked)
    Appointment.objects.filter(pk=booked.pk).update(dose_number=5)
    bump_center_days(booked.center, booked.start, booked.end)
    after = board(booked)
    assert f"{protocol.code.upper()} #5" in after
    assert "covers doses 1 to 4 only, not dose 5" in after
