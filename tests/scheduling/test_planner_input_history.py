"""A day's planner input and its board read that day's appointments, not the center's history before it
(issue 14: availability and the board must not grow with the center). Checked in the database's own
plan (on a table this small PostgreSQL would scan it whole whatever the query: sequential scans are
turned off to see the plan a real center's table gets), not by timing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.board_fragment import board_html
from scheduling.models import Appointment
from scheduling.planner_input import planner_input_for
from tests.factories import NEW_YORK, AppointmentFactory, ChairFactory, PatientFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 3, 1)  # a Monday


def _rows_read(sql: str) -> tuple[int, dict]:
    """Rows of scheduling_appointment the statement reads (returned, filtered out or rechecked away)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    nodes = _appointment_nodes(plan[0]["Plan"])
    assert nodes, plan
    read = sum(
        node["Actual Rows"] + node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
        for node in nodes
    )
    return read, plan


def _history(center, protocol, chair) -> None:
    """Twenty weeks of appointments before DAY (outside its one-day margin) on twenty chairs, every other
    one cancelled: 2,000 rows, analysed, so the plan is the one a center's history gets."""
    patient = PatientFactory(center=center)
    chairs = [chair, *(ChairFactory(center=center, label=f"H{n:02d}") for n in range(19))]
    rows = []
    for back in range(3, 103):
        start = dt.datetime.combine(DAY - dt.timedelta(days=back), dt.time(9), tzinfo=NEW_YORK)
        for n, seat in enumerate(chairs):
            rows.append(
                Appointment(
                    center=center, patient=patient, protocol=protocol, chair=seat, start=start,
                    end=start + dt.timedelta(hours=2), dose_number=3, status="cancelled" if n % 2 else "booked",
                )
            )  # fmt: skip
    Appointment.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scheduling_appointment")


def _appointment_nodes(plan: dict) -> list[dict]:
    found = [plan] if plan.get("Relation Name") == "scheduling_appointment" else []
    for child in plan.get("Plans", ()):
        found += _appointment_nodes(child)
    return found


def test_a_days_input_reads_none_of_the_bookings_before_it(center, protocol):
    chair, other = ChairFactory(center=center, label="C01"), ChairFactory(center=center, label="C02")
    _history(center, protocol, chair)
    for seat in (chair, other):
        AppointmentFactory(
            center=center, chair=seat, protocol=protocol, start=dt.datetime.combine(DAY, dt.time(9), tzinfo=NEW_YORK)
        )
    with CaptureQueriesContext(connection) as queries:
        pin = planner_input_for(center=center, date_from=DAY, date_to=DAY)
    assert len(pin.booked) == 2
    sql = next(q["sql"] for q in queries.captured_queries if "scheduling_appointment" in q["sql"])
    read, plan = _rows_read(sql)
    assert read == 2, json.dumps(plan, indent=1)  # the day's two bookings; none of the 2,000 before


def test_the_boards_day_reads_none_of_the_appointments_before_it(center, protocol):
    chair = ChairFactory(center=center, label="C01")
    _history(center, protocol, chair)
    AppointmentFactory(
        center=center, chair=chair, protocol=protocol, start=dt.datetime.combine(DAY, dt.time(9), tzinfo=NEW_YORK)
    )
    AppointmentFactory(
        center=center, chair=chair, protocol=protocol, start=dt.datetime.combine(DAY, dt.time(13), tzinfo=NEW_YORK),
        status="cancelled",
    )  # fmt: skip
    now = dt.datetime.combine(DAY - dt.timedelta(days=1), dt.time(12), tzinfo=NEW_YORK)
    with CaptureQueriesContext(connection) as queries:
        board_html(center=center, day=DAY, now=now)
    day_queries = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "scheduling_appointment"' in q["sql"] and '"scheduling_appointment"."center_id" =' in q["sql"]
    ]
    assert day_queries
    for sql in day_queries:
        read, plan = _rows_read(sql)
        assert read <= 2, sql + json.dumps(plan, indent=1)  # the day's booked and cancelled ones, none of the 2,000
