"""The planner input of a day reads that day's bookings, not the center's history before it (issue 14:
availability must not grow with the center). Checked in the database's own plan, not by timing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling.planner_input import planner_input_for
from tests.factories import NEW_YORK, AppointmentFactory, ChairFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 3, 1)  # a Monday


def _appointment_nodes(plan: dict) -> list[dict]:
    found = [plan] if plan.get("Relation Name") == "scheduling_appointment" else []
    for child in plan.get("Plans", ()):
        found += _appointment_nodes(child)
    return found


def test_a_days_input_reads_none_of_the_bookings_before_it(center, protocol):
    chair, other = ChairFactory(center=center, label="C01"), ChairFactory(center=center, label="C02")
    for back in range(3, 43):  # six weeks of history, outside the day's one-day margin
        day = DAY - dt.timedelta(days=back)
        AppointmentFactory(
            center=center, chair=chair, protocol=protocol, start=dt.datetime.combine(day, dt.time(9), tzinfo=NEW_YORK)
        )
    for seat in (chair, other):
        AppointmentFactory(
            center=center, chair=seat, protocol=protocol, start=dt.datetime.combine(DAY, dt.time(9), tzinfo=NEW_YORK)
        )
    with CaptureQueriesContext(connection) as queries:
        pin = planner_input_for(center=center, date_from=DAY, date_to=DAY)
    assert len(pin.booked) == 2
    sql = next(q["sql"] for q in queries.captured_queries if "scheduling_appointment" in q["sql"])
    with connection.cursor() as cursor:
        # A handful of rows would be read by a sequential scan whatever the query; ask for the plan
        # the query gets on a table the size of a real center's.
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
    assert read == 2, json.dumps(plan, indent=1)  # the day's two bookings; none of the forty before
