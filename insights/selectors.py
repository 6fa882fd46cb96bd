"""The insights' figures, each computed in PostgreSQL from the timestamps the state machine records.

One query per table (grouping sets where one table has several breakdowns), over a bounded range
of local days, so a view's cost grows with the range's appointments, never with the center's
history. Definitions (they are the spec the tests check):

- *Scheduled* chair time is each booking's ``[start, end)`` in a chair-holding status or a no-show
  (it was on the schedule); *actual* is ``[chair_start_at, discharged_at)`` of discharged visits.
- *Utilization* of a slot is chair-seconds used over chair-seconds available (active chairs of the
  kind × the slot's length), over the range's open days (opening hours, no closure).
- *Nurses on shift* in a slot are the shifts covering the whole slot; watch capacity is nurses ×
  patients per nurse; a start window (counted from local midnight, as the planner does) has the
  fewest nurses of its open slots × starts per nurse as its start capacity.
- *Wait* is arrival → chair; a start is *on time* when the patient is in the chair within
  ``ON_TIME_GRACE_MINUTES`` of the booked start; *drift* is discharge minus the booked end.
- A *late cancellation* is one made less than ``LATE_CANCEL_HOURS`` before the start; no-show and
  late-cancellation rates count appointments that were still due (not cancelled earlier) and have
  started before now.
"""

from __future__ import annotations

import datetime as dt

from insights import summary, visits
from insights.period import Period
from insights.sql import APPOINTMENT, CHAIR, HELD_CHAIR, PROTOCOL, SCHEDULED, fetch, minutes, open_slots
from scheduling.models import AppointmentStatus, CancelledBy

ON_TIME_GRACE_MINUTES = 10
LATE_CANCEL_HOURS = 24
WRONG_BY_MINUTES = 15
MIN_VISITS_TO_FLAG = 5

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _params(period: Period, **extra) -> dict:
    return {**period.params(), "scheduled": SCHEDULED, "held": HELD_CHAIR, **extra}


# --- 1. Chair utilization heatmap ---------------------------------------------------------------


def utilization(*, period: Period, step_minutes: int = 30) -> list[dict]:
    """Per chair kind, weekday and slot time: scheduled and actual utilization (%) of the chairs
    available (blocks and breaks excluded; ``None`` where none was), with each weekday's average over
    its slots and its peak slot (window functions)."""
    summary.refresh(period=period, step_minutes=step_minutes)
    sql = f"""
    WITH {summary.figures_cte()},
    cells AS (
        SELECT kind, weekday, slot,
            100.0 * sum(scheduled_s) / nullif(sum(available_s), 0) AS scheduled,
            100.0 * sum(actual_s) / nullif(sum(available_s), 0) AS actual,
            count(*) AS days
        FROM figures
        GROUP BY kind, weekday, slot
    )
    SELECT kind, weekday, slot, scheduled::float, actual::float, days,
        avg(scheduled) OVER w::float AS day_scheduled, avg(actual) OVER w::float AS day_actual,
        max(scheduled) OVER w::float AS peak_scheduled, max(actual) OVER w::float AS peak_actual
    FROM cells
    WINDOW w AS (PARTITION BY kind, weekday)
    ORDER BY kind, weekday, slot
    """
    return fetch(sql, summary.figure_params(period, step_minutes))


# --- 2. Occupancy curve of a day ----------------------------------------------------------------

PER_SLOT = """
    per_slot AS (
        SELECT day, weekday, slot, min(slot_start) AS slot_start, max(seconds) AS seconds,
            sum(scheduled_s) AS scheduled_s, sum(actual_s) AS actual_s, sum(watched) AS watched,
            sum(available_s) AS available_s, max(nurses) AS nurses
        FROM figures GROUP BY day, weekday, slot
    )"""


def occupancy(*, period: Period, day: dt.date) -> list[dict]:
    """Per slot time: chairs in use (scheduled, actual) on ``day`` and on average over the range's
    open days of the same weekday, against chairs available (active chairs less blocks and breaks)
    and the nurses' watch capacity."""
    step = period.center.slot_minutes
    summary.refresh(period=period, step_minutes=step)
    sql = f"""
    WITH {summary.figures_cte(weekdays=True)},
    {PER_SLOT}
    SELECT p.slot,
        (avg(p.scheduled_s / p.seconds) FILTER (WHERE p.day = %(day)s))::float AS day_scheduled,
        (avg(p.actual_s / p.seconds) FILTER (WHERE p.day = %(day)s))::float AS day_actual,
        (avg(p.available_s / p.seconds) FILTER (WHERE p.day = %(day)s))::float AS day_available,
        (avg(p.nurses) FILTER (WHERE p.day = %(day)s) * %(per_nurse)s)::float AS day_watch_capacity,
        avg(p.scheduled_s / p.seconds)::float AS avg_scheduled,
        avg(p.actual_s / p.seconds)::float AS avg_actual,
        avg(p.available_s / p.seconds)::float AS avg_available,
        (avg(p.nurses) * %(per_nurse)s)::float AS avg_watch_capacity,
        count(*) AS days,
        (SELECT count(*) FROM {CHAIR} WHERE center_id = %(center)s AND is_active) AS chairs
    FROM per_slot p
    GROUP BY p.slot ORDER BY p.slot
    """
    params = summary.figure_params(
        period, step, weekdays=[day.weekday()], day=day, per_nurse=period.center.patients_per_nurse
    )
    return fetch(sql, params)


def last_open_day(*, period: Period) -> dt.date | None:
    """The latest open day of the range that has begun (today counts), for the occupancy curve."""
    sql = f"""
    WITH {open_slots()}
    SELECT max(day) AS day FROM open_days WHERE day <= %(today)s
    """
    rows = fetch(sql, _params(period, step=minutes(60), today=period.today))
    return rows[0]["day"] if rows else None


# --- 3. Nurse load ------------------------------------------------------------------------------


def _window_of(column: str, *, is_local: bool = False) -> str:
    """The local start of the start window holding ``column`` (windows count from local midnight);
    ``is_local`` when the column already holds local wall-clock time."""
    local = column if is_local else f"({column} AT TIME ZONE %(tz)s)"
    return f"date_bin(%(window)s, {local}, date_trunc('day', {local}))"


def nurse_load(*, period: Period) -> dict[str, list[dict]]:
    """Starts per start window against start capacity, and patients watched per slot against watch
    capacity, averaged per time of day over the range's open days, with the over-capacity counts."""
    center = period.center
    summary.refresh(period=period, step_minutes=center.slot_minutes)
    visits.refresh(period=period)
    sql = f"""
    WITH {summary.figures_cte()},
    {PER_SLOT},
    windows AS (
        SELECT p.day, {_window_of("p.slot_start")} AS window_local, min(p.nurses) * %(starts_per_nurse)s AS capacity
        FROM per_slot p GROUP BY 1, 2
    ),
    {visits.visits_cte()},
    {visits.start_counts_cte()},
    starts AS (
        SELECT c.window_local, sum(c.scheduled) AS scheduled, sum(c.actual) AS actual
        FROM start_counts c JOIN open_days od ON od.day = c.day
        GROUP BY c.window_local
    ),
    by_window AS (
        SELECT 'window' AS part, w.window_local::time AS at,
            avg(coalesce(st.scheduled, 0))::float AS scheduled, avg(coalesce(st.actual, 0))::float AS actual,
            avg(w.capacity)::float AS capacity, max(coalesce(st.actual, 0))::float AS peak,
            count(*) FILTER (WHERE coalesce(st.actual, 0) > w.capacity) AS over, count(*) AS n
        FROM windows w
        LEFT JOIN starts st ON st.window_local = w.window_local
        GROUP BY w.window_local::time
    ),
    by_slot AS (
        SELECT 'slot' AS part, p.slot AS at,
            NULL::float AS scheduled, avg(p.watched)::float AS actual,
            (avg(p.nurses) * %(per_nurse)s)::float AS capacity, max(p.watched)::float AS peak,
            count(*) FILTER (WHERE p.watched > p.nurses * %(per_nurse)s) AS over, count(*) AS n
        FROM per_slot p GROUP BY p.slot
    )
    SELECT * FROM by_window UNION ALL SELECT * FROM by_slot ORDER BY part, at
    """
    rows = fetch(
        sql,
        summary.figure_params(
            period,
            center.slot_minutes,
            **visits.visit_params(period),
            starts_per_nurse=center.starts_per_nurse_per_window,
            per_nurse=center.patients_per_nurse,
        ),
    )
    return {
        "windows": [r for r in rows if r["part"] == "window"],
        "slots": [r for r in rows if r["part"] == "slot"],
    }


# --- 4. Waits and punctuality -------------------------------------------------------------------

WAIT_BIN_MINUTES = 10
WAIT_BINS = 7  # 0–10, …, 50–60, then 60 and over


def waits(*, period: Period) -> dict[str, list[dict]]:
    """Arrival → chair waits and on-time starts overall, by hour of the booked start and by protocol,
    the waits' distribution, and how far discharge drifts past the booked end by hour: one scan of the
    range's seated visits, each breakdown a grouping set."""
    visits.refresh(period=period)
    sql = f"""
    WITH {visits.visits_cte()},
    seen AS MATERIALIZED (
        SELECT v.protocol_id, extract(hour FROM v.start_local)::int AS hour, v.end_hour,
            v.wait_minutes AS wait, v.seated_after <= %(grace)s AS on_time, v.drift_minutes AS drift
        FROM visits v
        WHERE v.seated_after IS NOT NULL
    ),
    -- Each part computes only its own figures, over narrow rows (the percentiles' sorts are most of
    -- the cost; one GROUP BY per part sorted less than grouping sets did).
    waits AS (
        SELECT NULL::int AS hour, NULL::bigint AS protocol_id, count(*) AS seen, count(wait) AS waited,
            percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY wait) AS wait_q,
            100.0 * avg(on_time::int) AS on_time_percent
        FROM seen
        UNION ALL
        SELECT hour, NULL, count(*), count(wait), percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY wait),
            100.0 * avg(on_time::int)
        FROM seen GROUP BY hour
        UNION ALL
        SELECT NULL, protocol_id, count(*), count(wait), percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY wait),
            100.0 * avg(on_time::int)
        FROM seen GROUP BY protocol_id
    )
    SELECT CASE WHEN w.hour IS NOT NULL THEN 'hour' WHEN w.protocol_id IS NOT NULL THEN 'protocol' ELSE 'all' END AS part,
        w.hour, p.code, p.name, NULL::int AS bin, NULL::int AS end_hour, w.seen, w.waited, w.wait_q, w.on_time_percent,
        NULL::bigint AS finished, NULL::float8[] AS drift_q, NULL::float AS mean_drift
    FROM waits w LEFT JOIN {PROTOCOL} p ON p.id = w.protocol_id
    UNION ALL
    SELECT 'bin', NULL, NULL, NULL, least(floor(wait / %(bin)s)::int, %(bins)s - 1), NULL,
        count(*), NULL, NULL, NULL, NULL, NULL, NULL
    FROM seen GROUP BY 5
    UNION ALL
    SELECT 'drift', NULL, NULL, NULL, NULL, end_hour, NULL, NULL, NULL, NULL,
        count(drift), percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY drift), avg(drift)::float
    FROM seen GROUP BY end_hour
    ORDER BY part, hour, code, bin, end_hour
    """
    params = visits.visit_params(period, grace=minutes(ON_TIME_GRACE_MINUTES), bin=WAIT_BIN_MINUTES, bins=WAIT_BINS)
    rows = fetch(sql, params)
    for row in rows:
        row["median_wait"], row["p90_wait"] = row.pop("wait_q") or (None, None)
        row["median_drift"], row["p90_drift"] = row.pop("drift_q") or (None, None)
    figures = ("seen", "waited", "median_wait", "p90_wait", "on_time_percent")

    def summary(row: dict, part: str) -> dict:
        return {
            "by_hour": part == "hour",
            "by_protocol": part == "protocol",
            "hour": row["hour"],
            "code": row["code"],
            "name": row["name"],
            **{f: row[f] for f in figures},
        }

    return {
        "overall": [summary(r, "all") for r in rows if r["part"] == "all"],
        "by_hour": [summary(r, "hour") for r in rows if r["part"] == "hour"],
        "by_protocol": [summary(r, "protocol") for r in rows if r["part"] == "protocol"],
        # Visits that waited, per bin (a visit seated without an arrival time has no wait).
        "histogram": [{"bin": r["bin"], "n": r["seen"]} for r in rows if r["part"] == "bin" and r["bin"] is not None],
        # Per hour of the booked end, over the visits discharged (drift is NULL for the others).
        "drift": [
            {
                "hour": r["end_hour"],
                "finished": r["finished"],
                "median_drift": r["median_drift"],
                "mean_drift": r["mean_drift"],
                "p90_drift": r["p90_drift"],
            }
            for r in rows
            if r["part"] == "drift" and r["finished"]
        ],
    }


# --- 5. No-shows and late cancellations ---------------------------------------------------------

LEAD_BUCKETS = [
    (0, 1, "0–1 days"),
    (2, 7, "2–7 days"),
    (8, 14, "8–14 days"),
    (15, 30, "15–30 days"),
    (31, None, "31+ days"),
]


def noshows(*, period: Period) -> list[dict]:
    """No-show and late-cancellation counts and rates by protocol, weekday, lead time and reminder
    outcome (one query, grouping sets), over appointments that were due and have started."""
    visits.refresh(period=period)
    sql = f"""
    WITH {visits.visits_cte()},
    due AS (
        SELECT v.protocol_id, extract(isodow FROM v.day)::int - 1 AS weekday,
            -- The bucket whose lower bound is the largest not above the lead days (LEAD_BUCKETS are contiguous).
            width_bucket(v.lead_days, %(lead_bounds)s) - 1 AS lead_bucket,
            v.status = 'noshow' AS is_noshow,
            v.status = 'cancelled' AS is_late_cancel,
            CASE
                WHEN v.is_confirmed THEN 'confirmed'
                WHEN v.status = 'cancelled' AND v.cancelled_by = %(by_patient)s AND v.is_reached THEN 'cancelled'
                WHEN v.is_reached THEN 'no reply'
                ELSE 'no reminder sent'
            END AS outcome
        FROM visits v
        WHERE v.has_started AND (v.status IN %(scheduled)s OR (v.status = 'cancelled' AND v.cancelled_before < %(late)s))
    )
    SELECT g.part, p.code, p.name, g.weekday, g.lead_bucket, g.outcome, g.due, g.noshows, g.late_cancellations,
        g.noshow_rate, g.late_cancel_rate
    FROM (
        SELECT
            CASE WHEN GROUPING(protocol_id) = 0 THEN 'protocol' WHEN GROUPING(weekday) = 0 THEN 'weekday'
                 WHEN GROUPING(lead_bucket) = 0 THEN 'lead' WHEN GROUPING(outcome) = 0 THEN 'outcome'
                 ELSE 'all' END AS part,
            protocol_id, weekday, lead_bucket, outcome,
            count(*) AS due, count(*) FILTER (WHERE is_noshow) AS noshows,
            count(*) FILTER (WHERE is_late_cancel) AS late_cancellations,
            100.0 * avg(is_noshow::int) AS noshow_rate, 100.0 * avg(is_late_cancel::int) AS late_cancel_rate
        FROM due
        GROUP BY GROUPING SETS ((), (protocol_id), (weekday), (lead_bucket), (outcome))
    ) g LEFT JOIN {PROTOCOL} p ON p.id = g.protocol_id
    ORDER BY g.part, p.code, g.weekday, g.lead_bucket, g.outcome
    """
    params = visits.visit_params(
        period,
        scheduled=SCHEDULED,
        late=dt.timedelta(hours=LATE_CANCEL_HOURS),
        by_patient=CancelledBy.PATIENT.value,
        lead_bounds=[lo for lo, _, _ in LEAD_BUCKETS],
    )
    return fetch(sql, params)


# --- 6. Scheduled vs actual chair minutes -------------------------------------------------------


def chair_minutes(*, period: Period) -> list[dict]:
    """Per protocol and dose group (first doses / later doses): booked and actual chair minutes of
    discharged visits (median, p10, p80, p90), the median per-visit difference, and the protocol's
    current chair time for that group; ``is_flagged`` when the booked length is wrong by more than
    ``WRONG_BY_MINUTES`` (median difference) over at least ``MIN_VISITS_TO_FLAG`` visits."""
    sql = f"""
    WITH visits AS (
        SELECT p.id AS protocol_id, p.code, p.name, a.dose_number <= p.initial_dose_count AS is_first,
            -- Protocol.chair_minutes() of the group's first dose (dose 1, or the first later dose),
            -- the length "use the observed chair time" sets.
            p.setup_minutes + p.premedication_minutes
                + CASE WHEN a.dose_number <= p.initial_dose_count THEN p.first_dose_infusion_minutes
                       ELSE p.later_dose_infusion_minutes END
                + CASE WHEN p.observation_dose_count IS NOT NULL
                            AND (CASE WHEN a.dose_number <= p.initial_dose_count THEN 1 ELSE p.initial_dose_count + 1 END)
                                > p.observation_dose_count
                       THEN p.later_observation_minutes ELSE p.observation_minutes END AS current_minutes,
            extract(epoch FROM a."end" - a.start) / 60.0 AS booked,
            extract(epoch FROM a.discharged_at - a.chair_start_at) / 60.0 AS actual
        FROM {APPOINTMENT} a JOIN {PROTOCOL} p ON p.id = a.protocol_id
        WHERE a.center_id = %(center)s AND a.start >= %(range_start)s AND a.start < %(range_end)s
          AND a.status = %(fulfilled)s AND a.chair_start_at IS NOT NULL AND a.discharged_at IS NOT NULL
    )
    SELECT protocol_id, code, name, is_first, current_minutes, visits, median_booked,
        q[1] AS p10, q[2] AS median, q[3] AS p80, q[4] AS p90, median_difference
    FROM (
        SELECT protocol_id, code, max(name) AS name, is_first, max(current_minutes) AS current_minutes,
            count(*) AS visits,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY booked) AS median_booked,
            -- One sort of the actual minutes for the four percentiles.
            percentile_cont(ARRAY[0.1, 0.5, 0.8, 0.9]) WITHIN GROUP (ORDER BY actual) AS q,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY actual - booked) AS median_difference
        FROM visits
        GROUP BY protocol_id, code, is_first
    ) g
    ORDER BY code, is_first DESC
    """
    rows = fetch(sql, _params(period, fulfilled=AppointmentStatus.FULFILLED.value))
    for row in rows:
        row["is_flagged"] = row["visits"] >= MIN_VISITS_TO_FLAG and abs(row["median_difference"]) > WRONG_BY_MINUTES
    return rows
