"""The visits of a range of local days, as the waits, no-shows and nurse-load views read them:
stored for past days, live for the rest.

``visits_cte()`` is a CTE chain ending in ``visits``: one row per appointment of the range (any
status but entered-in-error) with the columns of :class:`~insights.models.VisitFigure` — its local
day, protocol, status, local booked start and infusion start, the local hour of the booked end,
chair start less booked start, arrival → chair wait and discharge drift in minutes, lead days,
start less cancellation, who cancelled, whether confirmed and whether a reminder reached the
patient — and ``has_started``. Converting each appointment's instants to local time and probing its
reminders was most of these views' cost; a stored day's rows need neither. ``start_counts_cte()``
adds the nurse-load view's starts per start window, stored per day in
:class:`~insights.models.StartFigure` with the day's visits.

Days marked in :class:`~insights.models.VisitDay` come from :class:`~insights.models.VisitFigure`;
the others (today, the future, anything not stored yet) are computed live by the same select list
:func:`refresh` stores, so a figure is the same whether or not its day was stored. The triggers of
migration ``0004`` forget a stored day when one of its appointments changes a column read here, or
a reminder of one changes, and all of a center's days when its time zone or start window length
changes; filling follows the slot summary's lock (:mod:`insights.summary`).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from chairs.models import Center
from insights.models import StartFigure, VisitDay, VisitFigure
from insights.period import Period
from insights.sql import APPOINTMENT, HELD_CHAIR, SCHEDULED, query_settings
from insights.summary import BATCH_DAYS, LOCK_NAMESPACE
from reminders.models import REACHED_PROVIDER, Reminder

CENTER = Center._meta.db_table
FIGURE = VisitFigure._meta.db_table
MARK = VisitDay._meta.db_table
STARTS = StartFigure._meta.db_table
REMINDER = Reminder._meta.db_table
REACHED = tuple(s.value for s in REACHED_PROVIDER)

# One appointment ``a`` as a visit row, in its center's local time (``%(tz)s``); the fill and the
# live days share it, so a stored day and a live one cannot differ.
COLUMNS = (
    "day, protocol_id, status, start_local, end_hour, infusion_local, seated_after, wait_minutes, "
    "drift_minutes, lead_days, cancelled_before, cancelled_by, is_confirmed, is_reached"
)
SELECT_VISIT = f"""
    SELECT a.start_local::date AS day, a.protocol_id, a.status, a.start_local,
        extract(hour FROM a."end" AT TIME ZONE %(tz)s)::int AS end_hour,
        a.infusion_start_at AT TIME ZONE %(tz)s AS infusion_local,
        a.chair_start_at - a.start AS seated_after,
        (extract(epoch FROM a.chair_start_at - a.arrived_at) / 60.0)::float8 AS wait_minutes,
        (extract(epoch FROM a.discharged_at - a."end") / 60.0)::float8 AS drift_minutes,
        greatest(0, a.start_local::date - (a.created_at AT TIME ZONE %(tz)s)::date) AS lead_days,
        CASE WHEN a.status = 'cancelled' THEN a.start - a.cancelled_at END AS cancelled_before,
        a.cancelled_by, a.confirmed_at IS NOT NULL AS is_confirmed, coalesce(r.is_reached, false) AS is_reached,
        a.start
    FROM (SELECT a.*, a.start AT TIME ZONE %(tz)s AS start_local FROM {APPOINTMENT} a
          WHERE a.center_id = %(center)s AND a.status <> 'entered-in-error'
            AND a.start >= {{first}} AND a.start < {{last}}) a
    -- An index probe per appointment (a hashed subplan would read every reminder of every center).
    LEFT JOIN LATERAL (
        SELECT true AS is_reached FROM {REMINDER} rm
        WHERE rm.appointment_id = a.id AND rm.status IN %(reached)s LIMIT 1
    ) r ON true"""


def visits_cte() -> str:
    """CTEs ``visit_days`` (each day of the range, ``is_stored``) and ``visits``; parameters:
    :func:`visit_params`."""
    live = SELECT_VISIT.format(
        first="(SELECT min(day)::timestamp AT TIME ZONE %(tz)s FROM visit_days WHERE NOT is_stored)",
        last="(SELECT (max(day) + 1)::timestamp AT TIME ZONE %(tz)s FROM visit_days WHERE NOT is_stored)",
    )
    return f"""
    visit_days AS (
        SELECT d::date AS day,
            EXISTS (SELECT 1 FROM {MARK} m WHERE m.center_id = %(center)s AND m.day = d::date) AS is_stored
        FROM generate_series(%(date_from)s::date, %(date_to)s::date, interval '1 day') AS d
    ),
    stored_visits AS (
        SELECT {COLUMNS},
            v.day < %(today)s OR v.start_local AT TIME ZONE %(tz)s < %(now)s AS has_started
        FROM {FIGURE} v
        WHERE v.center_id = %(center)s AND v.day >= %(date_from)s AND v.day <= %(date_to)s
          AND v.day IN (SELECT day FROM visit_days WHERE is_stored)
    ),
    live_visits AS (
        SELECT {COLUMNS}, start < %(now)s AS has_started
        FROM ({live}) x
        WHERE x.day IN (SELECT day FROM visit_days WHERE NOT is_stored)
    ),
    visits AS (SELECT * FROM stored_visits UNION ALL SELECT * FROM live_visits)"""


def start_counts_cte() -> str:
    """After :func:`visits_cte`: ``start_counts`` (day, window_local, scheduled, actual), the starts
    per start window (``%(window)s``, counted from local midnight) of the range's visits that held a
    chair or became no-shows — stored days' from :class:`~insights.models.StartFigure`, live days'
    counted from ``live_visits`` by the same :data:`COUNT_STARTS` the fill uses."""
    return f"""
    start_counts AS (
        SELECT s.day, s.window_local, s.scheduled, s.actual
        FROM {STARTS} s
        WHERE s.center_id = %(center)s AND s.day >= %(date_from)s AND s.day <= %(date_to)s
          AND s.day IN (SELECT day FROM visit_days WHERE is_stored)
        UNION ALL
        {COUNT_STARTS.format(visits="live_visits")}
    )"""


# Starts per (day, start window) of ``{visits}``: booked ones (holding a chair) at the booked start,
# actual ones at the infusion start.
COUNT_STARTS = """SELECT day, window_local, count(*) FILTER (WHERE is_booked) AS scheduled,
            count(*) FILTER (WHERE NOT is_booked) AS actual
        FROM (
            SELECT day, date_bin(%(window)s, start_local, date_trunc('day', start_local)) AS window_local, true AS is_booked
            FROM {visits} WHERE status IN %(held)s
            UNION ALL
            SELECT day, date_bin(%(window)s, infusion_local, date_trunc('day', infusion_local)), false
            FROM {visits} WHERE status IN %(scheduled)s AND infusion_local IS NOT NULL
        ) x
        GROUP BY day, window_local"""


def visit_params(period: Period, **extra) -> dict:
    return {
        **period.params(),
        "today": period.today,
        "reached": REACHED,
        "scheduled": SCHEDULED,
        "held": HELD_CHAIR,
        "window": dt.timedelta(minutes=period.center.start_window_minutes),
        **extra,
    }


def refresh(*, period: Period) -> int:
    """Store the range's past days not stored yet; returns the days stored. One query when all are
    stored; otherwise a transaction per ``BATCH_DAYS`` holding the center's summary lock (skipped,
    its days left live, when a writer holds it)."""
    last = min(period.date_to, period.today - dt.timedelta(days=1))
    if last < period.date_from:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT d::date FROM generate_series(%s::date, %s::date, interval '1 day') AS d
            WHERE NOT EXISTS (SELECT 1 FROM {MARK} m WHERE m.center_id = %s AND m.day = d::date)
            ORDER BY 1""",
            [period.date_from, last, period.center.pk],
        )
        missing = [row[0] for row in cursor.fetchall()]
    stored = 0
    for i in range(0, len(missing), BATCH_DAYS):
        stored += _store(period=period, days=missing[i : i + BATCH_DAYS])
    return stored


def _store(*, period: Period, days: list[dt.date]) -> int:
    center = period.center.pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, center])
        if not cursor.fetchone()[0]:
            return 0
        query_settings(cursor)
        cursor.execute(
            f"""INSERT INTO {MARK} (center_id, day, computed_at)
            SELECT %s, d, now() FROM unnest(%s::date[]) AS d
            ON CONFLICT DO NOTHING RETURNING day""",
            [center, days],
        )
        days = [row[0] for row in cursor.fetchall()]
        if not days:
            return 0
        batch = Period(center=period.center, date_from=min(days), date_to=max(days), now=period.now)
        select = SELECT_VISIT.format(first="%(range_start)s", last="%(range_end)s")
        cursor.execute(
            f"""INSERT INTO {FIGURE} (center_id, {COLUMNS})
            SELECT %(center)s, {COLUMNS} FROM ({select}) x WHERE x.day = ANY(%(fill_days)s)""",
            visit_params(batch, fill_days=days),
        )
        # The window length as the center's row has it now (under the lock: a change forgets these).
        cursor.execute(f"SELECT start_window_minutes FROM {CENTER} WHERE id = %s", [center])
        window = dt.timedelta(minutes=cursor.fetchone()[0])
        stored = f"(SELECT * FROM {FIGURE} WHERE center_id = %(center)s AND day = ANY(%(fill_days)s))"
        cursor.execute(
            f"""INSERT INTO {STARTS} (center_id, day, window_local, scheduled, actual)
            SELECT %(center)s, day, window_local, scheduled, actual FROM ({COUNT_STARTS.format(visits=stored + " v")}) c""",
            visit_params(batch, fill_days=days, window=window),
        )
        return len(days)
