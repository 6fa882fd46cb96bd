"""The planner's adapter: build its plain input from the database in one query and a cached part."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from dataclasses import dataclass
from functools import cached_property

from django.db import connection
from django.db.models import F, Min
from django.db.models.functions import Least
from django.utils import timezone

from booking_templates.selectors import planner_template_for
from chairs.models import Center, Chair, Closure, OpeningHours
from chairs.selectors import day_bounds
from infusion_center import versioned_cache
from patients.models import Patient
from scheduling import planner
from scheduling.models import BLOCKING_STATUSES, Protocol

# Appointments and blocks are loaded with this much margin around the range, so a booking
# that began the evening before (or a block spanning days) is still seen.
MARGIN = dt.timedelta(days=1)


class _Instants(dict):
    """UTC datetimes by epoch second, each made once: a fortnight's thousands of bookings share a few
    hundred grid times, and turning timestamps into datetimes was most of the input's cost."""

    def __missing__(self, seconds: int) -> dt.datetime:
        value = self[seconds] = dt.datetime.fromtimestamp(seconds, dt.UTC)
        return value


# Bookings are built without BookedSlot's generated __init__: a frozen dataclass sets every field
# through object.__setattr__, which was most of turning a fortnight's thousands of rows into input.
# Filling the new instance's __dict__ makes the very same object (equality, hash and repr come from
# the fields), about three times faster; the asserts keep the shortcut honest if the class changes.
assert not hasattr(planner.BookedSlot, "__post_init__")
assert [f.name for f in dataclasses.fields(planner.BookedSlot)] == ["id", "chair_id", "start", "end"]


BREAK_REASON = "The center is closed for its midday break."


def breaks_between(
    center: Center, date_from: dt.date, date_to: dt.date, *, hours: list[OpeningHours] | None = None
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The instants of each split day's break, from the local wall-clock times (daylight-saving safe)."""
    tz = center.tzinfo
    rows = center.opening_hours.all() if hours is None else hours
    breaks = {
        h.weekday: (h.break_starts, h.break_ends)
        for h in rows
        if h.break_starts is not None and h.break_ends is not None  # OpeningHours.has_break, spelled for mypy
    }
    found = []
    day = date_from
    while breaks and day <= date_to:
        if day.weekday() in breaks:
            starts, ends = breaks[day.weekday()]
            found.append((dt.datetime.combine(day, starts, tzinfo=tz), dt.datetime.combine(day, ends, tzinfo=tz)))
        day += dt.timedelta(days=1)
    return found


def rules_for(
    center: Center, date_from: dt.date, date_to: dt.date, *, hours: list[OpeningHours] | None = None
) -> planner.CenterRules:
    rows = center.opening_hours.all() if hours is None else hours
    weekly = {h.weekday: (h.opens, h.closes) for h in rows}
    closures = frozenset(center.closures.filter(date__gte=date_from, date__lte=date_to).values_list("date", flat=True))
    return _rules(center, weekly, closures, _shortest_protocol_minutes())


def _rules(center: Center, weekly: dict, closures: frozenset[dt.date], shortest: int | None) -> planner.CenterRules:
    return planner.CenterRules(
        timezone=center.timezone,
        slot_minutes=center.slot_minutes,
        patients_per_nurse=center.patients_per_nurse,
        starts_per_nurse_per_window=center.starts_per_nurse_per_window,
        start_window_minutes=center.start_window_minutes,
        opening_hours=weekly,
        closures=closures,
        min_useful_gap_minutes=shortest or 60,
    )


def addon_reserve_for(center: Center, date_from: dt.date, date_to: dt.date) -> dict[dt.date, int]:
    """The same-day add-on reserve still held on each day of the range as of now (no query)."""
    if not any(center.addon_reserve_chair_hours or ()):
        return {}  # no reserve on any weekday (the default): nothing to ask of each day
    now = timezone.now()
    days = (date_from + dt.timedelta(days=n) for n in range((date_to - date_from).days + 1))
    return {day: minutes for day in days if (minutes := center.addon_reserve_minutes(day, now=now))}


def _shortest_protocol_minutes() -> int | None:
    return Protocol.objects.filter(is_active=True).aggregate(
        minutes=Min(
            F("setup_minutes")
            + F("premedication_minutes")
            + Least("first_dose_infusion_minutes", "later_dose_infusion_minutes")
            + F("observation_minutes")
        )
    )["minutes"]


@dataclass(frozen=True)
class FixedInput:
    """The part of a center's planner input that changes only when an admin edits it: the center's
    rules, hours, chairs, closures, the shortest protocol and the booking template."""

    center: Center
    hours: tuple[OpeningHours, ...]
    chairs: tuple[planner.ChairInfo, ...]
    closures: frozenset[dt.date]
    shortest_minutes: int | None
    template: planner.Template | None
    closure_rows: tuple[Closure, ...] = ()
    # The center's chair rows, pickled apart (see chair_rows and every_chair): availability and
    # bookings read only ``chairs``, and turning a large center's model rows back into objects with
    # every cached copy of this input was a tenth of an availability search on 200 chairs.
    chair_rows_pickled: bytes = dataclasses.field(default=pickle.dumps(((), ())), repr=False)

    @cached_property
    def _chair_rows(self) -> tuple[tuple[Chair, ...], tuple[Chair, ...]]:
        return pickle.loads(self.chair_rows_pickled)

    @property
    def chair_rows(self) -> tuple[Chair, ...]:
        """The active chairs, in the setup page's order (the board's rows)."""
        return self._chair_rows[0]

    @property
    def every_chair(self) -> tuple[Chair, ...]:
        """Every chair, active or not, by id (what an API request may name)."""
        return self._chair_rows[1]

    def hours_on(self, day: dt.date) -> OpeningHours | None:
        return next((h for h in self.hours if h.weekday == day.weekday()), None)

    def chair(self, chair_id: int) -> Chair | None:
        """One of the center's chairs (in service or not), with its center; None if not the center's."""
        found = next((c for c in self.every_chair if c.pk == chair_id), None)
        if found is not None:
            found.center = self.center
        return found

    def closure_on(self, day: dt.date) -> Closure | None:
        return next((c for c in self.closure_rows if c.date == day), None)

    def rules(self, date_from: dt.date, date_to: dt.date) -> planner.CenterRules:
        weekly = {h.weekday: (h.opens, h.closes) for h in self.hours}
        closures = frozenset(d for d in self.closures if date_from <= d <= date_to)
        return _rules(self.center, weekly, closures, self.shortest_minutes)


def center_scope(center_id: int) -> str:
    return f"center:{center_id}"


PROTOCOLS_SCOPE = "protocols"


def fixed_input_for(center_id: int) -> FixedInput:
    """The center's fixed input, cached until a write to the center, its hours, chairs, closures,
    booking template or any protocol bumps its version (``scheduling.apps`` connects the signals).

    Within one request every call returns the same object: never change it (or its rows) in place."""
    return versioned_cache.cached(
        [center_scope(center_id), PROTOCOLS_SCOPE],
        f"fixed-input:3:{center_id}",
        lambda: _load_fixed(center_id),
        share_in_request=True,  # read-only: the serializer, the placement check and the input share one copy
    )


def _load_fixed(center_id: int) -> FixedInput:
    center = Center.objects.get(pk=center_id)
    chair_rows = list(center.chairs.order_by("pk"))
    closure_rows = tuple(center.closures.all())
    return FixedInput(
        center=center,
        hours=tuple(center.opening_hours.all()),
        chairs=tuple(
            planner.ChairInfo(
                id=c.pk, label=c.label, kind=c.kind, features=frozenset(c.features), is_active=c.is_active
            )
            for c in chair_rows
        ),
        closures=frozenset(c.date for c in closure_rows),
        shortest_minutes=_shortest_protocol_minutes(),
        template=planner_template_for(center=center),
        closure_rows=closure_rows,
        chair_rows_pickled=pickle.dumps(
            (
                tuple(sorted((c for c in chair_rows if c.is_active), key=lambda c: (c.position, c.label))),
                tuple(chair_rows),
            ),
            pickle.HIGHEST_PROTOCOL,
        ),
    )


# One round trip for what changes with every booking: the active appointments, chair blocks and
# nurse shifts overlapping the range. The appointments are found through the double-booking
# constraint's GiST index (the overlap is spelled as its expression, and the status list is its
# condition): "start < hi" alone on the (center, start) index read every earlier booking of the
# center, so a day's input grew with the center's history. Shifts use their (center, start) index,
# chair blocks go through the center's chairs. Times come back as epoch seconds: cheaper to turn
# into datetimes, and identical instants share one object (_Instants).
_SCHEDULE_SQL = """
SELECT 0, a.id, a.chair_id, EXTRACT(EPOCH FROM a.start)::bigint, EXTRACT(EPOCH FROM a."end")::bigint, NULL
  FROM scheduling_appointment a
 WHERE tstzrange(a.start, a."end", '[)') && tstzrange(%(lo)s, %(hi)s, '[)')
   AND a.status = ANY(%(active)s) AND a.center_id = %(center)s
UNION ALL
SELECT 1, NULL, b.chair_id, EXTRACT(EPOCH FROM b.start)::bigint, EXTRACT(EPOCH FROM b."end")::bigint, b.reason
  FROM chairs_chairblock b JOIN chairs_chair c ON c.id = b.chair_id
 WHERE c.center_id = %(center)s AND b.start < %(hi)s AND b."end" > %(lo)s
UNION ALL
SELECT 2, NULL, s.nurse_id, EXTRACT(EPOCH FROM s.start)::bigint, EXTRACT(EPOCH FROM s."end")::bigint, NULL
  FROM chairs_nurseshift s
 WHERE s.center_id = %(center)s AND s.start < %(shifts_hi)s AND s."end" > %(shifts_lo)s
"""


# A booking's own questions ride along (``booking_input_for``): the patient's active appointments
# overlapping the placement (patient_busy) and the patient's doses of the protocol (dose rules).
_PATIENT_SQL = """
UNION ALL
SELECT CASE WHEN a.protocol_id = %(protocol)s THEN 4 ELSE 3 END, a.id, a.dose_number,
       EXTRACT(EPOCH FROM a.start)::bigint, EXTRACT(EPOCH FROM a."end")::bigint, a.status
  FROM scheduling_appointment a
 WHERE a.patient_id = %(patient)s AND a.status = ANY(%(active)s)
   AND (a.protocol_id = %(protocol)s OR (a.start < %(patient_hi)s AND a."end" > %(patient_lo)s))
"""


@dataclass(frozen=True)
class PatientRow:
    """One of the patient's active appointments: ``is_series`` when of the booked protocol."""

    pk: int
    dose_number: int
    start: dt.datetime
    end: dt.datetime
    status: str
    is_series: bool


def planner_input_for(
    *,
    center: Center,
    date_from: dt.date,
    date_to: dt.date,
    span: tuple[dt.datetime, dt.datetime] | None = None,
) -> planner.PlannerInput:
    """Everything the planner needs about the center between two local dates, in one query (plus the
    cached fixed part, see :func:`fixed_input_for`).

    ``span`` narrows the bookings and chair blocks to those overlapping it (nurse shifts stay the
    whole range): enough for ``check_placement`` of a placement whose chair time and start window lie
    inside it, which is all a booking asks.
    """
    return _load(center=center, date_from=date_from, date_to=date_to, span=span)[0]


def booking_input_for(
    *,
    center: Center,
    day: dt.date,
    span: tuple[dt.datetime, dt.datetime],
    patient_id: int | None,
    protocol_id: int,
    placement: tuple[dt.datetime, dt.datetime],
    lock_sql: str = "",
    lock_params: tuple = (),
) -> tuple[planner.PlannerInput, list[PatientRow]]:
    """The planner input of one placement and the patient's appointments that a booking checks, in one
    round trip; ``lock_sql`` (the center-day lock) runs first in the same round trip, as its own
    statement, so the reads that follow see everything committed before the lock was granted."""
    return _load(
        center=center,
        date_from=day,
        date_to=day,
        span=span,
        patient=(patient_id, protocol_id, placement) if patient_id is not None else None,
        lock=(lock_sql, lock_params),
    )


def board_input_for(*, center: Center, day: dt.date) -> tuple[planner.PlannerInput, list[planner.BlockedTime]]:
    """The day's planner input (for the staffing strip) and the chair blocks among its blocks (the
    board draws them; the midday break is drawn from the hours)."""
    pin, _, blocks = _load(center=center, date_from=day, date_to=day, span=None, with_blocks=True)
    return pin, blocks


def _load(*, center, date_from, date_to, span, patient=None, lock=("", ()), with_blocks=False):
    fixed = fixed_input_for(center.pk)
    days_lo, days_hi = day_bounds(center=center, day=date_from, last_day=date_to)
    lo, hi = days_lo - MARGIN, days_hi + MARGIN
    shifts_lo, shifts_hi = lo, hi
    addon_reserve = addon_reserve_for(fixed.center, date_from, date_to)
    if span is not None and (not addon_reserve or (span[0] <= days_lo and days_hi <= span[1])):
        # The add-on reserve weighs the whole day's free chair time: with a reserve held, narrow only
        # to a span that holds every day of the range (availability's chunks).
        lo, hi = max(lo, span[0]), min(hi, span[1])
    params = {
        "center": center.pk,
        "lo": lo,
        "hi": hi,
        "shifts_lo": shifts_lo,
        "shifts_hi": shifts_hi,
        "active": [status.value for status in BLOCKING_STATUSES],
    }
    sql = _SCHEDULE_SQL
    if patient is not None:
        patient_id, protocol_id, (patient_lo, patient_hi) = patient
        params |= {"patient": patient_id, "protocol": protocol_id, "patient_lo": patient_lo, "patient_hi": patient_hi}
        sql += _PATIENT_SQL
    lock_sql, lock_params = lock
    with connection.cursor() as cursor:
        if lock_sql:
            # psycopg2 binds on the client: both statements go in one round trip, each with its own
            # snapshot, and the rows of the last one come back.
            sql = cursor.mogrify(lock_sql, lock_params).decode() + ";\n" + cursor.mogrify(sql, params).decode()
            cursor.execute(sql)
        else:
            cursor.execute(sql, params)
        rows = cursor.fetchall()
    instants = _Instants()
    booked: list[planner.BookedSlot] = []
    blocks: list[planner.BlockedTime] = []
    shifts: list[planner.Shift] = []
    patient_rows: list[PatientRow] = []
    new, booked_slot = object.__new__, planner.BookedSlot
    for kind, pk, owner, start, end, extra in rows:
        if kind == 0:
            slot = new(booked_slot)
            fields = slot.__dict__
            fields["id"], fields["chair_id"], fields["start"], fields["end"] = pk, owner, instants[start], instants[end]
            booked.append(slot)
        elif kind == 1:
            blocks.append(planner.BlockedTime(owner, instants[start], instants[end], extra))
        elif kind == 2:
            shifts.append(planner.Shift(owner, instants[start], instants[end]))
        else:
            patient_rows.append(PatientRow(pk, owner, instants[start], instants[end], extra, kind == 4))
    chair_blocks = list(blocks)
    blocks += [
        planner.BlockedTime(chair_id=chair.id, start=start, end=end, reason=BREAK_REASON)
        for start, end in breaks_between(center, date_from, date_to, hours=list(fixed.hours))
        for chair in fixed.chairs
    ]
    pin = planner.PlannerInput(
        rules=fixed.rules(date_from, date_to),
        chairs=fixed.chairs,
        booked=tuple(booked),
        blocks=tuple(blocks),
        shifts=tuple(shifts),
        template=fixed.template,
        addon_reserve=addon_reserve,
    )
    if with_blocks:
        return pin, patient_rows, chair_blocks
    return pin, patient_rows


def placement_span(
    rules: planner.CenterRules, start: dt.datetime, chair_minutes: int
) -> tuple[dt.datetime, dt.datetime]:
    """The instants ``check_placement`` looks at for one placement: its start window's beginning (the
    starts already in that window count) to the end of its chair time."""
    window_begins = planner.start_window(rules, start)[0]
    return min(window_begins, start), start + dt.timedelta(minutes=chair_minutes)


def check_dose_placement(
    pin: planner.PlannerInput,
    *,
    protocol: Protocol,
    dose_number: int,
    chair_id: int,
    start: dt.datetime,
    exclude_appointment_id: int | None = None,
    patient: Patient | None = None,
) -> list[planner.Refusal]:
    """``planner.check_placement`` for one dose: its chair time (for this patient: weight, reactions) and
    the chair kind and features it needs."""
    return planner.check_placement(
        pin,
        chair_id=chair_id,
        start=start,
        chair_minutes=protocol.chair_minutes(dose_number, patient),
        required_kind=protocol.required_chair_kind or None,
        required_features=frozenset(protocol.required_features),
        exclude_appointment_id=exclude_appointment_id,
    )


def slot_request_for(
    *,
    protocol: Protocol,
    dose_number: int,
    date_from: dt.date,
    date_to: dt.date,
    preferred_time_of_day: str = "any",
    preferred_weekdays: frozenset[int] | None = None,
    exclude_appointment_id: int | None = None,
    limit: int = 10,
    not_before: dt.datetime | None = None,
    patient: Patient | None = None,
) -> planner.SlotRequest:
    return planner.SlotRequest(
        chair_minutes=protocol.chair_minutes(dose_number, patient),
        date_from=date_from,
        date_to=date_to,
        required_kind=protocol.required_chair_kind or None,
        required_features=frozenset(protocol.required_features),
        preferred_time_of_day=preferred_time_of_day or "any",
        preferred_weekdays=frozenset(preferred_weekdays) if preferred_weekdays else None,
        exclude_appointment_id=exclude_appointment_id,
        limit=limit,
        not_before=not_before,
    )
