"""The slot figures of a range of local days: stored for past days, live for the rest.

``figures_cte()`` is the CTE chain every slot-based insight (utilization, occupancy, nurse load)
reads. It ends in ``figures``: one row per open slot of the range and active chair kind with

- ``scheduled_s`` / ``actual_s``: chair-seconds booked (``[start, end)`` of bookings that held a chair
  or became no-shows) and used (chair start to discharge) in the slot;
- ``watched``: patients in a chair at some time during the slot (actual);
- ``available_s``: active chairs of the kind × the slot's length, less chair blocks and the day's
  break (the union of both per chair, so an overlap is not subtracted twice);
- ``nurses``: nurse shifts covering the whole slot.

Days the center was closed (a closure, or no opening hours that weekday) have no slots. Days marked
in :class:`~insights.models.SummarizedDay` come from :class:`~insights.models.SlotFigure`; the others
are computed live by the same SQL that :func:`refresh` stores, so a figure is the same whether or not
its day was stored. :func:`refresh` stores the range's past days (up to yesterday, local) in batches;
today and the future are always live.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from chairs.models import ChairBlock
from insights.models import SlotFigure, SummarizedDay
from insights.period import Period
from insights.sql import APPOINTMENT, CHAIR, CLOSURE, HOURS, SCHEDULED, SHIFT, query_settings

BLOCK = ChairBlock._meta.db_table
FIGURE = SlotFigure._meta.db_table
SUMMARIZED = SummarizedDay._meta.db_table
LOCK_NAMESPACE = -16  # pg_advisory lock (namespace, center id); the triggers take it shared
BATCH_DAYS = 31  # days stored per transaction: writers of the center wait at most one batch

STORED = f"""NOT EXISTS (SELECT 1 FROM {SUMMARIZED} m
    WHERE m.center_id = %(center)s AND m.step_minutes = %(step_minutes)s AND m.day = days.day)"""
FILLING = "days.day = ANY(%(fill_days)s)"


def _live_chain(*, live: str, weekdays: bool) -> str:
    """CTEs ``open_days`` (with ``is_live``), the live days' ``slots`` and ``live`` (their figures)."""
    weekday_filter = "AND oh.weekday = ANY(%(weekdays)s)" if weekdays else ""
    step = "%(step)s"
    first_slot = "a.day_open + {step} * floor(extract(epoch FROM {col} - a.day_open) / extract(epoch FROM {step}))"
    return f"""
    days AS (
        SELECT d::date AS day FROM generate_series(%(date_from)s::date, %(date_to)s::date, interval '1 day') AS d
    ),
    open_days AS (
        SELECT days.day, oh.opens, oh.closes, oh.break_starts, oh.break_ends, oh.weekday, {live} AS is_live
        FROM days
        JOIN {HOURS} oh ON oh.center_id = %(center)s AND oh.weekday = extract(isodow FROM days.day)::int - 1
        WHERE NOT EXISTS (SELECT 1 FROM {CLOSURE} cl WHERE cl.center_id = %(center)s AND cl.date = days.day)
          {weekday_filter}
    ),
    live_days AS (SELECT * FROM open_days WHERE is_live),
    slots AS (
        SELECT od.day, od.weekday, s::time AS slot,
            (s AT TIME ZONE %(tz)s) AS slot_start,
            (least(s + {step}, od.day + od.closes) AT TIME ZONE %(tz)s) AS slot_end
        FROM live_days od,
             generate_series(od.day + od.opens, od.day + od.closes - interval '1 microsecond', {step}) AS s
    ),
    kinds AS (
        SELECT kind, count(*) AS chairs FROM {CHAIR} WHERE center_id = %(center)s AND is_active GROUP BY kind
    ),
    appts AS (
        SELECT ch.kind, od.day, od.day + od.opens AS day_open, od.day + od.closes AS day_close,
               a.start AT TIME ZONE %(tz)s AS s_l, a."end" AT TIME ZONE %(tz)s AS e_l,
               a.chair_start_at AT TIME ZONE %(tz)s AS cs_l, a.discharged_at AT TIME ZONE %(tz)s AS d_l
        FROM {APPOINTMENT} a
        JOIN {CHAIR} ch ON ch.id = a.chair_id
        JOIN live_days od ON od.day = (a.start AT TIME ZONE %(tz)s)::date
        WHERE a.center_id = %(center)s AND a.status IN %(scheduled)s
          AND a.start >= (SELECT min(day)::timestamp AT TIME ZONE %(tz)s FROM live_days)
          AND a.start < (SELECT (max(day) + 1)::timestamp AT TIME ZONE %(tz)s FROM live_days)
    ),
    pieces AS (
        SELECT a.kind, a.day, g AS slot_ts, false AS is_actual,
               extract(epoch FROM least(a.e_l, g + {step}, a.day_close) - greatest(a.s_l, g)) AS seconds
        FROM appts a,
             generate_series({first_slot.format(step=step, col="a.s_l")}, a.e_l - interval '1 microsecond', {step}) AS g
        UNION ALL
        SELECT a.kind, a.day, g, true,
               extract(epoch FROM least(a.d_l, g + {step}, a.day_close) - greatest(a.cs_l, g))
        FROM appts a,
             generate_series({first_slot.format(step=step, col="a.cs_l")}, a.d_l - interval '1 microsecond', {step}) AS g
        WHERE a.cs_l IS NOT NULL AND a.d_l IS NOT NULL
    ),
    slot_use AS (
        SELECT day, slot_ts::time AS slot, kind,
            coalesce(sum(seconds) FILTER (WHERE NOT is_actual), 0) AS scheduled_s,
            coalesce(sum(seconds) FILTER (WHERE is_actual), 0) AS actual_s,
            count(*) FILTER (WHERE is_actual) AS watched
        FROM pieces WHERE seconds > 0
        GROUP BY day, slot_ts, kind
    ),
    out_of_service AS (
        SELECT x.kind, x.day, unnest(range_agg(x.r)) AS r
        FROM (
            SELECT ch.id, ch.kind, od.day, tstzrange(b.start, b."end") AS r
            FROM live_days od
            JOIN {CHAIR} ch ON ch.center_id = %(center)s AND ch.is_active
            JOIN {BLOCK} b ON b.chair_id = ch.id
                AND b.start < (od.day + od.closes) AT TIME ZONE %(tz)s AND b."end" > (od.day + od.opens) AT TIME ZONE %(tz)s
            UNION ALL
            SELECT ch.id, ch.kind, od.day,
                tstzrange((od.day + od.break_starts) AT TIME ZONE %(tz)s, (od.day + od.break_ends) AT TIME ZONE %(tz)s)
            FROM live_days od
            JOIN {CHAIR} ch ON ch.center_id = %(center)s AND ch.is_active
            WHERE od.break_starts IS NOT NULL AND od.break_ends IS NOT NULL
        ) x
        GROUP BY x.id, x.kind, x.day
    ),
    lost AS (
        SELECT s.day, s.slot, o.kind, sum(extract(epoch FROM upper(o.r * w.r) - lower(o.r * w.r))) AS seconds
        FROM out_of_service o
        JOIN slots s ON s.day = o.day
        CROSS JOIN LATERAL (SELECT tstzrange(s.slot_start, s.slot_end) AS r) w
        WHERE o.r && w.r
        GROUP BY s.day, s.slot, o.kind
    ),
    shifts AS (
        SELECT (sh.start AT TIME ZONE %(tz)s)::date AS day, sh.start, sh."end"
        FROM {SHIFT} sh
        WHERE sh.center_id = %(center)s AND sh.start < %(range_end)s AND sh."end" > %(range_start)s - interval '1 day'
          -- Only shifts that can cover a live slot (usually today's): the others cost a join each.
          AND sh.start < (SELECT max(slot_end) FROM slots) AND sh."end" > (SELECT min(slot_start) FROM slots)
    ),
    staffed AS (
        SELECT s.day, s.slot, count(*) AS nurses
        FROM slots s
        JOIN shifts sh ON sh.day BETWEEN s.day - 1 AND s.day AND sh.start <= s.slot_start AND sh."end" >= s.slot_end
        GROUP BY s.day, s.slot
    ),
    live AS (
        SELECT s.day, s.weekday, s.slot, k.kind, s.slot_start, s.slot_end,
            coalesce(u.scheduled_s, 0)::float AS scheduled_s, coalesce(u.actual_s, 0)::float AS actual_s,
            coalesce(u.watched, 0)::int AS watched,
            (k.chairs * extract(epoch FROM s.slot_end - s.slot_start) - coalesce(l.seconds, 0))::float AS available_s,
            coalesce(st.nurses, 0)::int AS nurses
        FROM slots s CROSS JOIN kinds k
        LEFT JOIN slot_use u ON u.day = s.day AND u.slot = s.slot AND u.kind = k.kind
        LEFT JOIN lost l ON l.day = s.day AND l.slot = s.slot AND l.kind = k.kind
        LEFT JOIN staffed st ON st.day = s.day AND st.slot = s.slot
    )"""


def figures_cte(*, weekdays: bool = False) -> str:
    """The CTE chain ending in ``figures`` (see the module docstring); ``weekdays`` keeps only the
    open days whose weekday is in ``%(weekdays)s``. Parameters: :func:`figure_params`."""
    return f"""{_live_chain(live=STORED, weekdays=weekdays)},
    figures AS (
        SELECT day, weekday, slot, kind, slot_start, slot_end, extract(epoch FROM slot_end - slot_start) AS seconds,
            scheduled_s, actual_s, watched, available_s, nurses
        FROM live
        UNION ALL
        SELECT f.day, od.weekday, f.slot, f.kind, f.slot_start, f.slot_end, extract(epoch FROM f.slot_end - f.slot_start),
            f.scheduled_seconds, f.actual_seconds, f.watched, f.available_seconds, f.nurses
        FROM {FIGURE} f JOIN open_days od ON od.day = f.day AND NOT od.is_live
        WHERE f.center_id = %(center)s AND f.step_minutes = %(step_minutes)s
          AND f.day >= %(date_from)s AND f.day <= %(date_to)s
    )"""


def figure_params(period: Period, step_minutes: int, **extra) -> dict:
    return {
        **period.params(),
        "scheduled": SCHEDULED,
        "step": dt.timedelta(minutes=step_minutes),
        "step_minutes": step_minutes,
        **extra,
    }


def refresh(*, period: Period, step_minutes: int) -> int:
    """Store the range's past days not stored yet (``step_minutes`` slots); returns the days stored.

    One query when all are stored. Otherwise each batch of ``BATCH_DAYS`` is one transaction holding
    the center's summary lock exclusively; when a writer holds it (an appointment of the center is
    changing right now) the batch is skipped, and its days stay live until a later view stores them.
    """
    last = min(period.date_to, period.today - dt.timedelta(days=1))
    if last < period.date_from:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT d::date FROM generate_series(%s::date, %s::date, interval '1 day') AS d
            WHERE NOT EXISTS (SELECT 1 FROM {SUMMARIZED} m WHERE m.center_id = %s AND m.step_minutes = %s AND m.day = d::date)
            ORDER BY 1""",
            [period.date_from, last, period.center.pk, step_minutes],
        )
        missing = [row[0] for row in cursor.fetchall()]
    stored = 0
    for i in range(0, len(missing), BATCH_DAYS):
        stored += _store(period=period, step_minutes=step_minutes, days=missing[i : i + BATCH_DAYS])
    return stored


def _store(*, period: Period, step_minutes: int, days: list[dt.date]) -> int:
    center = period.center.pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, center])
        if not cursor.fetchone()[0]:
            return 0
        query_settings(cursor)
        cursor.execute(
            f"""INSERT INTO {SUMMARIZED} (center_id, day, step_minutes, computed_at)
            SELECT %s, d, %s, now() FROM unnest(%s::date[]) AS d
            ON CONFLICT DO NOTHING RETURNING day""",
            [center, step_minutes, days],
        )
        days = [row[0] for row in cursor.fetchall()]
        if not days:
            return 0
        batch = Period(center=period.center, date_from=min(days), date_to=max(days), now=period.now)
        cursor.execute(
            f"""INSERT INTO {FIGURE} (center_id, day, step_minutes, slot, kind, slot_start, slot_end,
                scheduled_seconds, actual_seconds, watched, available_seconds, nurses)
            WITH {_live_chain(live=FILLING, weekdays=False)}
            SELECT %(center)s, day, %(step_minutes)s, slot, kind, slot_start, slot_end,
                scheduled_s, actual_s, watched, available_s, nurses
            FROM live""",
            figure_params(batch, step_minutes, fill_days=days),
        )
        return len(days)
