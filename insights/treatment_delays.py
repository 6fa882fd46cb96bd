"""7. Time to treatment: days from the doctor's order to the first dose, and from the authorization
request to the payer's approval, per protocol and payer.

The only module of the insights that reads orders and authorizations (``treatment.models``). An order's date is its
``start_date``; its first dose is the earliest visit of that patient and protocol on or after it
where the patient reached a chair. An authorization is requested when it is created and approved
when its history first records the status ``approved`` (django-simple-history keeps every change).
"""

from __future__ import annotations

from insights.period import Period
from insights.sql import APPOINTMENT, PROTOCOL, fetch
from patients.models import Patient
from treatment.models import AuthorizationStage, AuthorizationStatus, Order, PriorAuthorization

ORDER = Order._meta.db_table
AUTHORIZATION = PriorAuthorization._meta.db_table
AUTHORIZATION_HISTORY = PriorAuthorization.history.model._meta.db_table
STAGE = AuthorizationStage._meta.db_table
PATIENT = Patient._meta.db_table
NO_PAYER = "No authorization"


def time_to_treatment(*, period: Period) -> dict[str, list[dict]]:
    """Orders dated in the range (for the center's patients) and authorizations requested in it."""
    order_sql = f"""
    WITH orders AS (
        SELECT o.id, o.start_date, p.code, p.name,
            coalesce((SELECT pa.payer FROM {AUTHORIZATION} pa WHERE pa.order_id = o.id ORDER BY pa.id LIMIT 1), %(no_payer)s) AS payer,
            (SELECT min((a.start AT TIME ZONE %(tz)s)::date) FROM {APPOINTMENT} a
              WHERE a.patient_id = o.patient_id AND a.protocol_id = o.protocol_id
                AND a.chair_start_at IS NOT NULL AND (a.start AT TIME ZONE %(tz)s)::date >= o.start_date) AS first_dose
        FROM {ORDER} o
        JOIN {PATIENT} pt ON pt.id = o.patient_id
        JOIN {PROTOCOL} p ON p.id = o.protocol_id
        WHERE pt.center_id = %(center)s AND o.start_date >= %(date_from)s AND o.start_date <= %(date_to)s
    )
    SELECT GROUPING(payer) = 1 AS is_protocol_total, code, max(name) AS name, payer,
        count(*) AS orders, count(first_dose) AS treated,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY first_dose - start_date) AS median_days,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY first_dose - start_date) AS p90_days
    FROM orders
    GROUP BY GROUPING SETS ((code, payer), (code))
    ORDER BY code, is_protocol_total, payer
    """
    authorization_sql = f"""
    WITH requests AS (
        SELECT pa.id, pa.payer, p.code, p.name, (pa.created_at AT TIME ZONE %(tz)s)::date AS requested,
            (SELECT min(h.history_date AT TIME ZONE %(tz)s)::date FROM {AUTHORIZATION_HISTORY} h
              WHERE h.id = pa.id AND h.status = %(approved)s) AS approved
        FROM {AUTHORIZATION} pa
        JOIN {ORDER} o ON o.id = pa.order_id
        JOIN {PATIENT} pt ON pt.id = pa.patient_id
        JOIN {PROTOCOL} p ON p.id = o.protocol_id
        WHERE pt.center_id = %(center)s AND pa.created_at >= %(range_start)s AND pa.created_at < %(range_end)s
    )
    SELECT code, max(name) AS name, payer, count(*) AS requests, count(approved) AS approved,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY approved - requested) AS median_days,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY approved - requested) AS p90_days
    FROM requests
    GROUP BY code, payer
    ORDER BY code, payer
    """
    params = {**period.params(), "no_payer": NO_PAYER, "approved": AuthorizationStatus.APPROVED.value}
    return {
        "orders": fetch(order_sql, params),
        "authorizations": fetch(authorization_sql, params),
        "stages": stage_delays(period=period),
    }


def stage_delays(*, period: Period) -> list[dict]:
    """Per protocol and payer, for orders dated in the range: median and p90 days from the order to the first
    submission, from submission to the first approval, from approval to the first dose and from the order to
    the first dose (the recorded stages of issue 22), with how many were denied and how many of those were
    approved on appeal."""
    sql = f"""
    WITH orders AS (
        SELECT o.id, o.start_date, p.code, p.name,
            coalesce((SELECT pa.payer FROM {AUTHORIZATION} pa WHERE pa.order_id = o.id ORDER BY pa.id LIMIT 1), %(no_payer)s) AS payer,
            (SELECT min(s.occurred_on) FROM {STAGE} s JOIN {AUTHORIZATION} pa ON pa.id = s.authorization_id
              WHERE pa.order_id = o.id AND s.stage = 'submitted') AS submitted,
            (SELECT min(s.occurred_on) FROM {STAGE} s JOIN {AUTHORIZATION} pa ON pa.id = s.authorization_id
              WHERE pa.order_id = o.id AND s.stage = 'approved') AS approved,
            EXISTS (SELECT 1 FROM {STAGE} s JOIN {AUTHORIZATION} pa ON pa.id = s.authorization_id
              WHERE pa.order_id = o.id AND s.stage = 'denied') AS was_denied,
            EXISTS (SELECT 1 FROM {STAGE} s JOIN {AUTHORIZATION} pa ON pa.id = s.authorization_id
              WHERE pa.order_id = o.id AND s.stage = 'approved' AND EXISTS (
                SELECT 1 FROM {STAGE} a WHERE a.authorization_id = s.authorization_id
                  AND a.stage IN ('appeal_1', 'appeal_2', 'appeal_external') AND a.id < s.id)) AS overturned,
            (SELECT min((a.start AT TIME ZONE %(tz)s)::date) FROM {APPOINTMENT} a
              WHERE a.patient_id = o.patient_id AND a.protocol_id = o.protocol_id
                AND a.chair_start_at IS NOT NULL AND (a.start AT TIME ZONE %(tz)s)::date >= o.start_date) AS first_dose
        FROM {ORDER} o
        JOIN {PATIENT} pt ON pt.id = o.patient_id
        JOIN {PROTOCOL} p ON p.id = o.protocol_id
        WHERE pt.center_id = %(center)s AND o.start_date >= %(date_from)s AND o.start_date <= %(date_to)s
    )
    SELECT code, max(name) AS name, payer, count(*) AS orders, count(submitted) AS submitted,
        count(approved) AS approved, count(first_dose) AS treated,
        count(*) FILTER (WHERE was_denied) AS denied, count(*) FILTER (WHERE overturned) AS overturned,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY submitted - start_date) AS median_to_submission,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY submitted - start_date) AS p90_to_submission,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY approved - submitted) AS median_to_approval,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY approved - submitted) AS p90_to_approval,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY first_dose - approved) AS median_to_first_dose,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY first_dose - approved) AS p90_to_first_dose,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY first_dose - start_date) AS median_total,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY first_dose - start_date) AS p90_total
    FROM orders
    GROUP BY code, payer
    ORDER BY code, payer
    """
    return fetch(sql, {**period.params(), "no_payer": NO_PAYER})
