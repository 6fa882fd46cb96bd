"""The SQL building blocks the insights share: table names, statuses, the open days of a range.

``open_slots(step)`` is a CTE chain: every local day of the range (``generate_series``), kept
when the center has opening hours that weekday and no closure, cut into slots of ``step`` from
opening to closing. Each slot carries its local day and wall-clock time and its bounds as instants
(``timestamp AT TIME ZONE center_tz``), so daylight-saving days and centers in other zones line up
by local time. The slot figures themselves (bookings cut at the grid, chairs available, nurses)
are in :mod:`insights.summary`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection, transaction

from chairs.models import Chair, Closure, NurseShift, OpeningHours
from scheduling.models import Appointment, AppointmentStatus, Protocol

APPOINTMENT = Appointment._meta.db_table
CHAIR = Chair._meta.db_table
CLOSURE = Closure._meta.db_table
HOURS = OpeningHours._meta.db_table
SHIFT = NurseShift._meta.db_table
PROTOCOL = Protocol._meta.db_table

# What was on the schedule: every booking that held a chair, including those that became no-shows.
SCHEDULED = tuple(
    s.value
    for s in (
        AppointmentStatus.PENDING,
        AppointmentStatus.BOOKED,
        AppointmentStatus.ARRIVED,
        AppointmentStatus.CHECKED_IN,
        AppointmentStatus.FULFILLED,
        AppointmentStatus.NOSHOW,
    )
)
HELD_CHAIR = tuple(s for s in SCHEDULED if s != AppointmentStatus.NOSHOW)


def open_slots(step_param: str = "step") -> str:
    """CTEs ``days``, ``open_days`` and ``slots`` (day, weekday, slot, slot_start, slot_end)."""
    return f"""
    days AS (
        SELECT d::date AS day FROM generate_series(%(date_from)s::date, %(date_to)s::date, interval '1 day') AS d
    ),
    open_days AS (
        SELECT days.day, oh.opens, oh.closes, oh.weekday
        FROM days
        JOIN {HOURS} oh ON oh.center_id = %(center)s AND oh.weekday = extract(isodow FROM days.day)::int - 1
        WHERE NOT EXISTS (SELECT 1 FROM {CLOSURE} cl WHERE cl.center_id = %(center)s AND cl.date = days.day)
    ),
    slots AS (
        SELECT od.day, od.weekday, s::time AS slot, s AS slot_ts, least(s + %({step_param})s, od.day + od.closes) AS slot_end_ts,
               (s AT TIME ZONE %(tz)s) AS slot_start,
               (least(s + %({step_param})s, od.day + od.closes) AT TIME ZONE %(tz)s) AS slot_end
        FROM open_days od,
             generate_series(od.day + od.opens, od.day + od.closes - interval '1 microsecond', %({step_param})s) AS s
    )"""


def _plain(value):
    return float(value) if isinstance(value, Decimal) else value


def query_settings(cursor) -> None:
    """Settings for the rest of the transaction, in one round trip.

    JIT off: the planner's estimates for ``generate_series`` (1,000 rows each) push these small
    queries over ``jit_above_cost``, and compiling them took 0.5–7 s, far longer than running them
    (tens of milliseconds). ``work_mem`` up from the default 4 MB: a year's waits sort some 66,000
    visits per percentile, which spilled to disk and took several times as long."""
    cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '32MB'")


def fetch(sql: str, params: dict) -> list[dict]:
    """Rows as dicts; numeric results as floats (percentiles and averages are all the views need)."""
    with transaction.atomic(), connection.cursor() as cursor:
        query_settings(cursor)
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def minutes(step: int) -> dt.timedelta:
    return dt.timedelta(minutes=step)
