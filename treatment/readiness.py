"""Is a dose ready to be given? Readiness of appointments against orders, authorizations and checks.

An appointment is *ready* when the patient has a valid doctor's order for the
protocol covering the dose's date and number, a prior authorization that is
approved for that date with visits left (or marked not required), and every
protocol prerequisite that applies to the dose number documented in its
window. Anything else is a missing :class:`Item`; each says whether it can
still be completed before the dose date (an MRI not yet done but due next
week can; an order that expires before the date, a denied authorization or a
vaccine that can no longer be given 14 days ahead cannot). Booking warns about
the first kind and refuses the second.

A monitoring check (``after_previous_dose``: the MRIs that look for ARIA) is
satisfied only by a document done after the patient's previous dose of the
protocol, so a baseline MRI never clears dose 3. A check done on the day of the
dose only (``window_days == 0``, the natalizumab pre-infusion checklist) is not
missing weeks ahead: until the dose's day it is listed in ``on_the_day``; on the
day it is missing like any other, and the chair (``dose_rules.chair_gate``)
holds the dose until it is done. At the chair every missing item stops the
dose except those marked ``is_acknowledgeable`` (a pending or unrecorded prior
authorization, or a check a center marks so), which a nurse may acknowledge.

:func:`readiness_for` reads everything it needs for any number of appointments
in a fixed number of queries, then works in memory.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from chairs.models import Center
from scheduling.models import BLOCKING_STATUSES, Appointment
from treatment.models import (
    AuthorizationStatus,
    DocumentResult,
    Order,
    PrerequisiteDocument,
    PriorAuthorization,
    ProtocolPrerequisite,
)


@dataclass(frozen=True)
class Item:
    code: str
    message: str
    can_complete_before_date: bool
    document_kind: str = ""  # for a missing check: the kind of document that would satisfy it
    is_acknowledgeable: bool = False  # at the chair a nurse may go ahead by acknowledging it with a reason


@dataclass(frozen=True)
class Readiness:
    ready: bool
    missing: list[Item] = field(default_factory=list)
    override_reason: str = ""
    on_the_day: list[Item] = field(default_factory=list)  # day-of checks of a dose on a later day

    @property
    def blocking(self) -> list[Item]:
        """Items that cannot be completed before the dose date: booking refuses them."""
        return [item for item in self.missing if not item.can_complete_before_date]

    @property
    def warnings(self) -> list[Item]:
        """Items still completable before the dose date: booking warns about them."""
        return [item for item in self.missing if item.can_complete_before_date]


READY = Readiness(ready=True)


def readiness_for(appointments: Iterable[Appointment], *, today: dt.date | None = None) -> dict[int, Readiness]:
    """Readiness of each saved appointment, keyed by its id (a fixed number of queries)."""
    appointments = list(appointments)
    return {a.pk: r for a, r in zip(appointments, assess(appointments, today=today), strict=True)}


def readiness_of(appointment: Appointment, *, today: dt.date | None = None) -> Readiness:
    """Readiness of one appointment, which may be unsaved (a booking being checked)."""
    return assess([appointment], today=today)[0]


def assess(appointments: Sequence[Appointment], *, today: dt.date | None = None) -> list[Readiness]:
    """Readiness of each appointment, in order; unsaved appointments are fine."""
    if not appointments:
        return []
    facts = _Facts.load(appointments)
    return [_assess_one(a, facts, today) for a in appointments]


@dataclass
class _Facts:
    """Everything readiness needs, fetched once for a batch of appointments."""

    centers: dict[int, Center]
    orders: dict[tuple[int, int], list[Order]]
    authorizations: dict[int, list[PriorAuthorization]]
    documents: dict[tuple[int, str], list[PrerequisiteDocument]]
    prerequisites: dict[int, list[ProtocolPrerequisite]]
    visits: dict[tuple[int, int], list[tuple[dt.datetime, int]]]
    doses: dict[tuple[int, int], list[tuple[dt.datetime, int]]]  # (start, pk) of each active dose

    @classmethod
    def load(cls, appointments: Sequence[Appointment]) -> _Facts:
        patient_ids = {a.patient_id for a in appointments}
        protocol_ids = {a.protocol_id for a in appointments}
        # Centers the appointments already hold are not read again (a booking's, the board's).
        centers = {a.center_id: a.center for a in appointments if "center" in a._state.fields_cache}
        unread = {a.center_id for a in appointments} - centers.keys()
        if unread:
            centers |= {c.pk: c for c in Center.objects.filter(pk__in=unread)}
        orders, authorizations = _orders_and_authorizations(patient_ids, protocol_ids)
        prerequisites: dict[int, list[ProtocolPrerequisite]] = defaultdict(list)
        for prerequisite in _active_prerequisites(frozenset(protocol_ids)):
            prerequisites[prerequisite.protocol_id].append(prerequisite)
        documents: dict[tuple[int, str], list[PrerequisiteDocument]] = defaultdict(list)
        kinds = {p.kind for group in prerequisites.values() for p in group}
        if kinds:
            for document in PrerequisiteDocument.objects.filter(patient_id__in=patient_ids, kind__in=kinds):
                documents[(document.patient_id, document.kind)].append(document)
        visits, doses = _dose_history(appointments, orders, authorizations, prerequisites)
        return cls(centers, orders, authorizations, documents, prerequisites, visits, doses)


_ORDER_FIELDS = [f.attname for f in Order._meta.concrete_fields]
_AUTHORIZATION_FIELDS = [f.attname for f in PriorAuthorization._meta.concrete_fields]
# The active orders of the patients and protocols with their authorizations, in one statement, in the
# models' own orders (Order: newest start first; PriorAuthorization: latest end first, open-ended first
# as PostgreSQL sorts NULL first when descending). Plain SQL: every booking reads it, and composing the
# two querysets cost more CPU than the rest of the readiness check.
_ORDERS_SQL = """
SELECT {order_columns}, {authorization_columns}
  FROM {orders} o LEFT JOIN {authorizations} pa ON pa.order_id = o.id
 WHERE o.is_active AND o.patient_id = ANY(%(patients)s) AND o.protocol_id = ANY(%(protocols)s)
 ORDER BY o.start_date DESC, o.id DESC, pa.approved_until DESC, pa.id DESC
""".format(
    order_columns=", ".join(f'o."{f.column}"' for f in Order._meta.concrete_fields),
    authorization_columns=", ".join(f'pa."{f.column}"' for f in PriorAuthorization._meta.concrete_fields),
    orders=Order._meta.db_table,
    authorizations=PriorAuthorization._meta.db_table,
)
# The rows become instances as the ORM would make them: no field converts what the database returns.
assert Order._meta.ordering == ["-start_date", "-pk"]
assert PriorAuthorization._meta.ordering == ["-approved_until", "-pk"]
assert not any(hasattr(f, "from_db_value") for m in (Order, PriorAuthorization) for f in m._meta.concrete_fields), (
    "a field converts its database value: read these rows through the ORM"
)


def _orders_and_authorizations(
    patient_ids: set[int], protocol_ids: set[int]
) -> tuple[dict[tuple[int, int], list[Order]], dict[int, list[PriorAuthorization]]]:
    """The active orders by (patient, protocol) and their authorizations by order, each list in its model's order."""
    orders: dict[tuple[int, int], list[Order]] = defaultdict(list)
    authorizations: dict[int, list[PriorAuthorization]] = defaultdict(list)
    if not patient_ids or not protocol_ids:
        return orders, authorizations
    width = len(_ORDER_FIELDS)
    seen: dict[int, Order] = {}
    with connection.cursor() as cursor:
        cursor.execute(_ORDERS_SQL, {"patients": sorted(patient_ids), "protocols": sorted(protocol_ids)})
        rows = cursor.fetchall()
    db = connection.alias
    for row in rows:
        order_id = row[0]
        if order_id not in seen:
            order = seen[order_id] = Order.from_db(db, _ORDER_FIELDS, row[:width])
            orders[(order.patient_id, order.protocol_id)].append(order)
        if row[width] is not None:
            authorization = PriorAuthorization.from_db(db, _AUTHORIZATION_FIELDS, row[width:])
            authorizations[authorization.order_id].append(authorization)
    return orders, authorizations


# Earlier appointments of a patient and protocol are read from this far before an authorization's first
# day: its days are local to the center, the rows' starts are UTC instants.
_ZONE_MARGIN = dt.timedelta(days=2)

_HISTORY_SQL = f"""
SELECT 0, a.patient_id, a.protocol_id, a.start, a.id
FROM {Appointment._meta.db_table} a
JOIN unnest(%(v_patient)s::bigint[], %(v_protocol)s::bigint[], %(v_from)s::timestamptz[], %(v_to)s::timestamptz[])
    AS v(patient_id, protocol_id, lo, hi) ON a.patient_id = v.patient_id AND a.protocol_id = v.protocol_id
WHERE a.status = ANY(%(active)s) AND (v.lo IS NULL OR a.start >= v.lo) AND a.start <= v.hi
UNION ALL
SELECT 1, x.patient_id, x.protocol_id, d.start, d.id
FROM unnest(%(d_patient)s::bigint[], %(d_protocol)s::bigint[], %(d_start)s::timestamptz[], %(d_pk)s::bigint[])
    AS x(patient_id, protocol_id, start, pk)
CROSS JOIN LATERAL (
    SELECT a.start, a.id FROM {Appointment._meta.db_table} a
    WHERE a.patient_id = x.patient_id AND a.protocol_id = x.protocol_id AND a.status = ANY(%(active)s)
      AND a.start < x.start AND a.id IS DISTINCT FROM x.pk
    ORDER BY a.start DESC, a.id DESC LIMIT 1
) d
"""

History = dict[tuple[int, int], list[tuple[dt.datetime, int]]]


def _dose_history(
    appointments: Sequence[Appointment],
    orders: dict[tuple[int, int], list[Order]],
    authorizations: dict[int, list[PriorAuthorization]],
    prerequisites: dict[int, list[ProtocolPrerequisite]],
) -> tuple[History, History]:
    """The patient's active appointments of the protocol that the rules read, in one query (none when
    no rule reads them): not the whole history, only the rows that can change an answer.

    - *visits* (an approved authorization's visits used up, :func:`_visits_check`): for each
      (patient, protocol) of the batch whose orders have an approved authorization with a number of
      visits, the rows from that authorization's first day (less a margin for the zone; all of them
      when one has no first day) up to the latest start in the batch — a later row is never an
      earlier visit;
    - *doses* (a monitoring check after the previous dose, :func:`_previous_dose_day`): for each
      appointment of a protocol with such a check, the one latest row before it (not itself).

    The rules filter these rows exactly as they would the whole history, so the answers are the same.
    """
    counted: dict[tuple[int, int], list[PriorAuthorization]] = defaultdict(list)
    for key, group in orders.items():
        for order in group:
            counted[key] += [
                a
                for a in authorizations.get(order.pk, [])
                if a.status == AuthorizationStatus.APPROVED and a.approved_visits
            ]
    latest: dict[tuple[int, int], dt.datetime] = {}
    for a in appointments:
        key = (a.patient_id, a.protocol_id)
        if counted.get(key):
            latest[key] = max(latest.get(key, a.start), a.start)
    v_patient, v_protocol, v_from, v_to = [], [], [], []
    for (patient_id, protocol_id), hi in latest.items():
        firsts = [a.approved_from for a in counted[(patient_id, protocol_id)]]
        lo = None
        if all(day is not None for day in firsts):
            lo = dt.datetime.combine(min(day for day in firsts if day is not None), dt.time.min, dt.UTC) - _ZONE_MARGIN
        v_patient.append(patient_id)
        v_protocol.append(protocol_id)
        v_from.append(lo)
        v_to.append(hi)
    monitored = {pid for pid, group in prerequisites.items() if any(p.after_previous_dose for p in group)}
    later = [a for a in appointments if a.protocol_id in monitored]
    visits: History = defaultdict(list)
    doses: History = defaultdict(list)
    if not v_patient and not later:
        return visits, doses
    params: dict[str, list] = {
        "v_patient": v_patient,
        "v_protocol": v_protocol,
        "v_from": v_from,
        "v_to": v_to,
        "d_patient": [a.patient_id for a in later],
        "d_protocol": [a.protocol_id for a in later],
        "d_start": [a.start for a in later],
        "d_pk": [a.pk for a in later],
        "active": [status.value for status in BLOCKING_STATUSES],
    }
    with connection.cursor() as cursor:
        cursor.execute(_HISTORY_SQL, params)
        rows = cursor.fetchall()
    for part, patient_id, protocol_id, start, pk in rows:
        history = visits if part == 0 else doses
        history[(patient_id, protocol_id)].append((start, pk))
    return visits, doses


def _active_prerequisites(protocol_ids: frozenset[int]) -> list[ProtocolPrerequisite]:
    """The protocols' active prerequisites, cached until a protocol or prerequisite changes."""
    from infusion_center.versioned_cache import cached
    from scheduling.planner_input import PROTOCOLS_SCOPE

    return cached(
        [PROTOCOLS_SCOPE],
        "prerequisites:" + ",".join(map(str, sorted(protocol_ids))),
        lambda: list(ProtocolPrerequisite.objects.filter(protocol_id__in=protocol_ids, is_active=True)),
    )


def _local_day(moment: dt.datetime, center: Center) -> dt.date:
    return moment.astimezone(center.tzinfo).date()


def _fmt(day: dt.date | None) -> str:
    assert day is not None  # callers format dates an approved authorization always has
    return day.strftime("%Y-%m-%d")


def _assess_one(appointment: Appointment, facts: _Facts, today: dt.date | None) -> Readiness:
    center = facts.centers[appointment.center_id]
    day = _local_day(appointment.start, center)
    today = today or timezone.now().astimezone(center.tzinfo).date()
    missing: list[Item] = []
    order, order_items = _order_check(appointment, day, facts)
    missing += order_items
    if order is not None:
        missing += _authorization_check(appointment, order, day, facts, center)
    checks = _prerequisite_check(appointment, day, today, facts, center)
    later = day > today
    missing += [item for item, day_of in checks if not (day_of and later)]
    on_the_day = [item for item, day_of in checks if day_of and later]
    return Readiness(
        ready=not missing,
        missing=missing,
        override_reason=getattr(appointment, "readiness_override_reason", ""),
        on_the_day=on_the_day,
    )


def _order_check(appointment: Appointment, day: dt.date, facts: _Facts) -> tuple[Order | None, list[Item]]:
    orders = sorted(
        facts.orders.get((appointment.patient_id, appointment.protocol_id), []),
        key=lambda o: (o.start_date, o.pk or 0),
        reverse=True,
    )
    dose = appointment.dose_number
    for order in orders:
        if order.covers_date(day) and order.covers_dose(dose):
            return order, []
    if not orders:
        return None, [Item("no_order", "No doctor's order for this protocol.", False)]
    for order in orders:
        if order.covers_dose(dose):
            if order.valid_until and day > order.valid_until:
                message = f"The doctor's order expires on {_fmt(order.valid_until)}, before this dose."
                return None, [Item("order_expired", message, False)]
            message = f"The doctor's order starts on {_fmt(order.start_date)}, after this dose."
            return None, [Item("order_not_started", message, False)]
    order = orders[0]
    last = order.last_dose_number
    message = f"The doctor's order covers doses {order.first_dose_number} to {last} only, not dose {dose}."
    return None, [Item("order_dose_not_covered", message, False)]


_AUTH_PREFERENCE: dict[str, int] = {
    AuthorizationStatus.NOT_REQUIRED: 0,
    AuthorizationStatus.APPROVED: 1,
    AuthorizationStatus.PENDING: 2,
    AuthorizationStatus.DENIED: 3,
    AuthorizationStatus.EXPIRED: 4,
}


def _authorization_check(
    appointment: Appointment, order: Order, day: dt.date, facts: _Facts, center: Center
) -> list[Item]:
    # A withdrawn request authorizes nothing and refuses nothing: as if it had never been made.
    authorizations = [a for a in facts.authorizations.get(order.pk, []) if a.status != AuthorizationStatus.WITHDRAWN]
    if not authorizations:
        message = "No prior authorization is recorded for the order."
        return [Item("no_authorization", message, True, is_acknowledgeable=True)]
    if any(a.status == AuthorizationStatus.NOT_REQUIRED for a in authorizations):
        return []
    approved = [a for a in authorizations if a.status == AuthorizationStatus.APPROVED and a.covers_date(day)]
    if approved:
        return _visits_check(appointment, approved[0], facts, center)
    best = min(authorizations, key=lambda a: (_AUTH_PREFERENCE[a.status], -(a.pk or 0)))
    label = f"{best.payer}{' ' + best.reference_number if best.reference_number else ''}"
    if best.status == AuthorizationStatus.PENDING:
        message = f"Prior authorization with {label} is pending."
        return [Item("authorization_pending", message, True, is_acknowledgeable=True)]
    if best.status == AuthorizationStatus.APPROVED:
        if best.approved_until and day > best.approved_until:
            message = f"Prior authorization with {label} ends on {_fmt(best.approved_until)}, before this dose."
            return [Item("authorization_expired", message, False)]
        message = f"Prior authorization with {label} starts on {_fmt(best.approved_from)}, after this dose."
        return [Item("authorization_not_started", message, False)]
    if best.status == AuthorizationStatus.DENIED:
        return [Item("authorization_denied", f"Prior authorization with {label} was denied.", False)]
    return [Item("authorization_expired", f"Prior authorization with {label} has expired.", False)]


def _visits_check(
    appointment: Appointment, authorization: PriorAuthorization, facts: _Facts, center: Center
) -> list[Item]:
    if authorization.approved_visits is None:
        return []
    visits = [
        (start, pk)
        for start, pk in facts.visits.get((appointment.patient_id, appointment.protocol_id), [])
        if authorization.covers_date(_local_day(start, center)) and pk != appointment.pk
    ]
    earlier = sum(1 for start, pk in visits if (start, pk) < (appointment.start, appointment.pk or 1 << 62))
    if earlier < authorization.approved_visits:
        return []
    message = (
        f"The authorization's {authorization.approved_visits} approved visits are used up by earlier appointments."
    )
    return [Item("authorization_visits_used", message, False)]


def _previous_dose_day(appointment: Appointment, facts: _Facts, center: Center) -> dt.date | None:
    """Local day of the patient's active dose of the protocol just before this one in time."""
    earlier = [
        start
        for start, pk in facts.doses.get((appointment.patient_id, appointment.protocol_id), [])
        if pk != appointment.pk and start < appointment.start
    ]
    return _local_day(max(earlier), center) if earlier else None


def _prerequisite_check(
    appointment: Appointment, day: dt.date, today: dt.date, facts: _Facts, center: Center
) -> list[tuple[Item, bool]]:
    """Each missing check as (item, is it done on the day of the dose only)."""
    items = []
    for prerequisite in facts.prerequisites.get(appointment.protocol_id, []):
        if not prerequisite.applies_to_dose(appointment.dose_number):
            continue
        earliest = day - dt.timedelta(days=prerequisite.window_days) if prerequisite.window_days is not None else None
        latest = day - dt.timedelta(days=prerequisite.min_days_before or 0)
        since = None
        if prerequisite.after_previous_dose:
            previous = _previous_dose_day(appointment, facts, center)
            if previous is not None:
                since = previous
                after = previous + dt.timedelta(days=1)
                earliest = after if earliest is None else max(earliest, after)
        in_window = [
            d
            for d in facts.documents.get((appointment.patient_id, prerequisite.kind), [])
            if d.performed_on <= latest and (earliest is None or d.performed_on >= earliest)
        ]
        if any(d.result == DocumentResult.ACCEPTABLE for d in in_window):
            continue
        item = _prerequisite_item(prerequisite, appointment.dose_number, in_window, earliest, latest, today, since)
        items.append((item, prerequisite.is_day_of))
    return items


def _prerequisite_item(
    prerequisite: ProtocolPrerequisite,
    dose: int,
    in_window: list[PrerequisiteDocument],
    earliest: dt.date | None,
    latest: dt.date,
    today: dt.date,
    since: dt.date | None = None,
) -> Item:
    kind = prerequisite.kind
    what = prerequisite.get_kind_display()
    can_complete = latest >= today and (earliest is None or earliest <= latest)
    acknowledgeable = prerequisite.is_acknowledgeable
    if earliest is not None and earliest > latest:
        when = f"after the previous dose ({_fmt(since)}) and by {_fmt(latest)}, which is not possible"
    elif earliest == latest:
        when = f"on {_fmt(latest)}"
    elif earliest is not None:
        when = f"between {_fmt(earliest)} and {_fmt(latest)}"
    elif prerequisite.min_days_before:
        when = f"by {_fmt(latest)} (at least {prerequisite.min_days_before} days before)"
    else:
        when = "before the dose"
    if since is not None and (earliest is None or earliest <= latest):
        when += f", after the previous dose on {_fmt(since)} (an earlier one does not count)"
    pending = [d for d in in_window if d.result == DocumentResult.PENDING]
    if pending:
        latest_pending = max(d.performed_on for d in pending)
        message = f"{what} for dose {dose}: scheduled on {_fmt(latest_pending)}, result pending."
        return Item(f"{kind}_pending", message, True, kind, acknowledgeable)
    if in_window:
        message = f"{what} for dose {dose}: the result needs review before the dose."
        return Item(f"{kind}_needs_review", message, True, kind, acknowledgeable)
    if can_complete:
        message = f"{what} needed before dose {dose}: done {when}."
    else:
        message = f"{what} needed before dose {dose}: had to be done {when}; too late before this date."
    return Item(f"{kind}_missing", message, can_complete, kind, acknowledgeable)
