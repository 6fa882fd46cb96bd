"""The SQL building blocks every insight shares: the open slots of a range of local days.

``open_slots(step)`` is a CTE chain: every local day of the range (``generate_series``), kept
when the center has opening hours that weekday and no closure, cut into slots of ``step`` from
opening to closing. Each slot carries its local day and wall-clock time and its bounds as instants
(``timestamp AT TIME ZONE center_tz``), so daylight-saving days and centers in other zones line up
by local time.
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


def slot_pieces(step_param: str = "step", where: str = "", scheduled: bool = True) -> str:
    """CTEs ``appts``, ``pieces`` and ``slot_use``: each booking cut at the slot grid (anchored at the
    day's opening), one row per slot it touches, for its booked interval (``is_actual`` false) and for its actual one
    (chair start to discharge). Cutting each interval with ``generate_series`` costs rows in proportion
    to the slots it covers, where joining every slot to every booking of the day would cost their product.
    ``slot_use`` sums them per day, slot and chair kind: chair-seconds scheduled and actual, and the
    patients in a chair at some time during the slot (``scheduled=False`` skips the booked intervals
    for a view that needs only what happened). Overlaps are measured in local wall-clock time
    (no booking spans a daylight-saving change at night)."""
    step = f"%({step_param})s"
    first_slot = "a.day_open + {step} * floor(extract(epoch FROM {col} - a.day_open) / extract(epoch FROM {step}))"
    return f"""
    appts AS (
        SELECT a.id, ch.kind, a.status, od.day, od.day + od.opens AS day_open, od.day + od.closes AS day_close,
               a.start AT TIME ZONE %(tz)s AS s_l, a."end" AT TIME ZONE %(tz)s AS e_l,
               a.chair_start_at AT TIME ZONE %(tz)s AS cs_l, a.discharged_at AT TIME ZONE %(tz)s AS d_l,
               a.start, a.infusion_start_at
        FROM {APPOINTMENT} a
        JOIN {CHAIR} ch ON ch.id = a.chair_id
        JOIN open_days od ON od.day = (a.start AT TIME ZONE %(tz)s)::date
        WHERE a.center_id = %(center)s AND a.start >= %(range_start)s AND a.start < %(range_end)s
          AND a.status IN %(scheduled)s {where}
    ),
    pieces AS (
        SELECT a.kind, a.day, g AS slot_ts, false AS is_actual,
               extract(epoch FROM least(a.e_l, g + {step}, a.day_close) - greatest(a.s_l, g)) AS seconds
        FROM appts a, generate_series({first_slot.format(step=step, col="a.s_l")}, a.e_l - interval '1 microsecond', {step}) AS g
        {"" if scheduled else "WHERE false"}
        UNION ALL
        SELECT a.kind, a.day, g, true,
               extract(epoch FROM least(a.d_l, g + {step}, a.day_close) - greatest(a.cs_l, g))
        FROM appts a, generate_series({first_slot.format(step=step, col="a.cs_l")}, a.d_l - interval '1 microsecond', {step}) AS g
        WHERE a.cs_l IS NOT NULL AND a.d_l IS NOT NULL
    ),
    slot_use AS (
        SELECT day, slot_ts::time AS slot, kind,
            coalesce(sum(seconds) FILTER (WHERE NOT is_actual), 0) AS scheduled_s,
            coalesce(sum(seconds) FILTER (WHERE is_actual), 0) AS actual_s,
            count(*) FILTER (WHERE is_actual) AS watched
        FROM pieces
        WHERE seconds > 0
        GROUP BY day, slot_ts, kind
    )"""


def _plain(value):
    return float(value) if isinstance(value, Decimal) else value


def no_jit(cursor) -> None:
    """Switch PostgreSQL's JIT off for the rest of the transaction. The planner's estimates for
    ``generate_series`` (1,000 rows each) push these small queries over ``jit_above_cost``, and
    compiling them took 0.5–7 s, far longer than running them (tens of milliseconds)."""
    cursor.execute("SET LOCAL jit = off")


def fetch(sql: str, params: dict) -> list[dict]:
    """Rows as dicts; numeric results as floats (percentiles and averages are all the views need)."""
    with transaction.atomic(), connection.cursor() as cursor:
        no_jit(cursor)
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def minutes(step: int) -> dt.timedelta:
    return dt.timedelta(minutes=step)
