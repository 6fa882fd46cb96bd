"""Reads that pages share: above all the chair board for one center and one day.

The board is built with a fixed number of queries whatever the number of
chairs or appointments (the center's hours and closure, chairs and protocols
from the versioned cache, the day's appointments with the patient's name as
values, chair blocks and shifts in the planner's input, and the readiness and
dose amount of only the patients whose version moved), then laid out in
Python: every block gets its position on the day's time axis as a percentage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from chairs.models import Center, Chair, ChairBlock, ChairKind, Closure, OpeningHours
from chairs.selectors import centers_for
from chairside.selectors import vitals_overdue
from infusion_center.versioned_cache import cached, cached_parts
from patients.models import Patient
from regimens.selectors import dose_plans_for
from scheduling import planner
from scheduling.invalidation import patient_scope
from scheduling.models import Appointment, AppointmentStatus, ChairStage, Protocol
from scheduling.planner_input import PROTOCOLS_SCOPE, board_input_for, center_scope, fixed_input_for
from treatment.readiness import Readiness, readiness_for

# Shown when the center has no opening hours on that weekday (closed days still get a board).
DEFAULT_OPENS = dt.time(7, 0)
DEFAULT_CLOSES = dt.time(19, 0)

# Statuses drawn on the board; cancelled and entered-in-error ones free the chair and are only counted.
BOARD_STATUSES = (
    AppointmentStatus.PENDING,
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.FULFILLED,
)

# Doses not yet given: their readiness (order, authorization, checks) is shown.
READINESS_STATUSES = (AppointmentStatus.PENDING, AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)


def appointments_for(*, user) -> QuerySet[Appointment]:
    """Appointments of the centers the user works at."""
    return Appointment.objects.filter(center__in=centers_for(user=user)).select_related(
        "center", "patient", "protocol", "chair", "booked_by"
    )


def appointment_for(*, user, pk: int) -> Appointment:
    """One appointment of the user's centers, or 404 (also for another center's appointment)."""
    try:
        return appointments_for(user=user).get(pk=pk)
    except Appointment.DoesNotExist as error:
        raise Http404("No such appointment.") from error


def protocols_by_pk() -> dict[int, Protocol]:
    """Every protocol by id, cached until a protocol (or a prerequisite) is saved or deleted."""
    return cached([PROTOCOLS_SCOPE], "protocols", lambda: {p.pk: p for p in Protocol.objects.all()})


def protocol_by_pk(pk: int) -> Protocol | None:
    """One protocol (None if there is no such protocol), cached like :func:`protocols_by_pk` but on its
    own: a booking or an availability request names one protocol and need not decode them all."""
    return cached([PROTOCOLS_SCOPE], f"protocol:{pk}", lambda: Protocol.objects.filter(pk=pk).first())


def active_protocols() -> QuerySet[Protocol]:
    return Protocol.objects.filter(is_active=True).order_by("name")


# Doses that count as given or on the way: the next one follows them.
DOSE_STATUSES = (
    AppointmentStatus.PENDING,
    AppointmentStatus.BOOKED,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.FULFILLED,
)


def last_dose(*, patient_id: int, protocol_id: int) -> Appointment | None:
    """The patient's highest-numbered dose of this protocol that was given or is booked."""
    return (
        Appointment.objects.filter(patient_id=patient_id, protocol_id=protocol_id, status__in=DOSE_STATUSES)
        .order_by("-dose_number", "-start")
        .first()
    )


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change of an appointment: who, when and what changed."""

    when: dt.datetime
    who: str
    what: str


# One vocabulary for a status wherever it is told: plain words, then the FHIR status it stands for.
STATUS_WORDS: dict[str, str] = {
    AppointmentStatus.PROPOSED: "proposed",
    AppointmentStatus.PENDING: "held tentatively, authorization pending",
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.ARRIVED: "arrived, checked in at the desk",
    AppointmentStatus.CHECKED_IN: "in the chair",
    AppointmentStatus.FULFILLED: "discharged",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NOSHOW: "no-show",
    AppointmentStatus.ENTERED_IN_ERROR: "entered in error",
    AppointmentStatus.WAITLIST: "on the waiting list",
}


def status_words(status: str) -> str:
    """ "in the chair (checked-in)": the plain words and the FHIR status, the same in every history."""
    words = STATUS_WORDS.get(status, status)
    return words if words == status else f"{words} ({status})"


def _patient_or_system(reason: str | None) -> str:
    """Who made a change without a staff user: the patient when its reason says so ("patient, by link")."""
    reason = reason or ""
    return reason[0].upper() + reason[1:] if reason.lower().startswith("patient, by ") else "System"


def status_history(*, appointment: Appointment) -> list[HistoryEntry]:
    """The appointment's changes, newest first, described in words."""
    records = list(appointment.history.select_related("history_user").order_by("history_date", "history_id"))
    tz = appointment.center.tzinfo
    entries: list[HistoryEntry] = []
    previous = None
    for record in records:
        user = record.history_user
        who = (user.get_full_name() or user.username) if user else _patient_or_system(record.history_change_reason)
        changes: list[str] = []
        if previous is None:
            changes.append(f"Created: {status_words(record.status)}")
        else:
            if record.status != previous.status:
                changes.append(f"Status {status_words(previous.status)} → {status_words(record.status)}")
            if record.chair_stage != previous.chair_stage and record.chair_stage:
                changes.append(f"Chair stage: {record.get_chair_stage_display().lower()}")
            if record.start != previous.start or record.chair_id != previous.chair_id:
                changes.append(f"Moved to {record.start.astimezone(tz):%a %Y-%m-%d %H:%M}")
            if record.cancel_reason and record.cancel_reason != previous.cancel_reason:
                changes.append(f"Reason: {record.cancel_reason}")
            elif record.history_change_reason:  # e.g. why the patient was discharged early
                changes.append(f"Reason: {record.history_change_reason}")
            if not changes:
                changes.append("Details updated")
        entries.append(HistoryEntry(when=record.history_date, who=who, what="; ".join(changes)))
        previous = record
    entries.reverse()
    return entries


# --- The chair board ------------------------------------------------------------------------------


class PatientName:
    """The patient as a board tile names them."""

    __slots__ = ("first_name", "last_name", "mrn")

    def __init__(self, first_name: str, last_name: str, mrn: str) -> None:
        self.first_name, self.last_name, self.mrn = first_name, last_name, mrn

    full_name = property(Patient.full_name.fget)  # type: ignore[attr-defined]  # the patient's own rule, not a copy


class BoardBooking:
    """One appointment as the board reads it: its columns and the patient's name, read with
    ``values_list`` (building 300 appointments and 300 patients as model instances was a fifth of a
    rebuild). It answers to an appointment's names (``pk``, ``status``, ``patient.full_name``,
    ``get_status_display``…), so the board's rules, its templates and the day sheet read it as they
    would the model; :meth:`instance` gives the model where one is needed (readiness)."""

    COLUMNS = (
        *("center_id", "patient_id", "protocol_id", "chair_id", "start", "end", "dose_number", "status"),
        *("chair_stage", "chair_start_at", "infusion_start_at", "discharged_at", "readiness_override_reason"),
    )
    FIELDS = ("id", *COLUMNS, "patient__first_name", "patient__last_name", "patient__mrn")
    __slots__ = ("pk", *COLUMNS, "patient", "protocol", "readiness")

    def __init__(self, row: tuple, protocols: dict[int, Protocol]) -> None:
        (
            self.pk, self.center_id, self.patient_id, self.protocol_id, self.chair_id, self.start, self.end,
            self.dose_number, self.status, self.chair_stage, self.chair_start_at, self.infusion_start_at,
            self.discharged_at, self.readiness_override_reason, first_name, last_name, mrn,
        ) = row  # fmt: skip
        self.patient = PatientName(first_name, last_name, mrn)
        self.protocol = protocols[self.protocol_id]
        self.readiness: Readiness | None = None  # set for the doses not yet given

    def __repr__(self) -> str:
        return f"<BoardBooking {self.pk}>"

    def get_status_display(self) -> str:
        return _STATUS_LABELS.get(self.status, self.status)

    def get_chair_stage_display(self) -> str:
        return _STAGE_LABELS.get(self.chair_stage, self.chair_stage)

    def instance(self, center: Center) -> Appointment:
        """The appointment as a model instance (not saved: it is only read), with its center and protocol."""
        appointment = Appointment(
            id=self.pk,
            center=center,
            patient_id=self.patient_id,
            protocol=self.protocol,
            chair_id=self.chair_id,
            start=self.start,
            end=self.end,
            dose_number=self.dose_number,
            status=self.status,
            chair_stage=self.chair_stage,
            chair_start_at=self.chair_start_at,
            infusion_start_at=self.infusion_start_at,
            discharged_at=self.discharged_at,
            readiness_override_reason=self.readiness_override_reason,
        )
        appointment._state.adding = False
        return appointment


@dataclass
class BoardItem:
    """Something drawn on a chair's row: an appointment or a chair block.

    The strings the template prints are made here once: with 300 blocks,
    template filters per block cost more than the queries.
    """

    left: float  # percent of the day's width
    width: float
    start: dt.datetime
    end: dt.datetime
    appointment: BoardBooking | None = None
    block: ChairBlock | None = None
    position: str = ""  # the CSS left/width
    times: str = ""  # "09:00–11:30" in the center's zone
    css: str = ""
    title: str = ""
    who: str = ""
    what: str = ""
    href: str = ""
    readiness_text: str = ""  # what the dose still needs, in words, for the tile's tooltip
    is_compact: bool = False  # a short infusion: one line on the tile, the rest in its tooltip
    is_movable: bool = False  # booked or pending: can be dragged to another time or chair
    move_href: str = ""
    # What really happens in the chair: from seating to discharge (or now, while in progress).
    actual_position: str = ""
    actual_label: str = ""
    late_note: str = ""  # running late into the chair's next booking
    delayed_note: str = ""  # this booking waits for the chair's previous patient
    vitals_note: str = ""  # during-infusion vital signs overdue (chairside: the regimen's interval)


# Tiles of doses shorter than this get the compact one-line layout.
COMPACT_MINUTES = 75


def _describe(item: BoardItem, tz) -> BoardItem:
    item.position = f"left: {item.left:.4f}%; width: {item.width:.4f}%"
    starts_at = f"{item.start.astimezone(tz):%H:%M}"
    item.times = f"{starts_at}–{item.end.astimezone(tz):%H:%M}"
    if item.block is not None:
        item.title = f"Blocked {item.times}: {item.block.reason}"
        return item
    a = item.appointment
    assert a is not None  # an item is a block or an appointment
    status_label = _STATUS_LABELS.get(a.status, a.status)
    state = _STAGE_LABELS.get(a.chair_stage, a.chair_stage) if a.chair_stage else status_label
    item.css = f"status-{a.status}" + (f" stage-{a.chair_stage}" if a.chair_stage else "")
    item.who = f"{a.patient.last_name}, {a.patient.first_name}"
    item.what = f"{a.protocol.code.upper()} #{a.dose_number} · {state} · {starts_at}"
    item.title = (
        f"{a.patient.first_name} {a.patient.last_name} · {a.protocol.code.upper()} dose {a.dose_number} · "
        f"{item.times} · {status_label}" + (f" ({state.lower()})" if a.chair_stage else "")
    )
    item.href = _url_of("appointment_detail", a.pk)
    item.is_compact = item.end - item.start < dt.timedelta(minutes=COMPACT_MINUTES)
    item.is_movable = a.status in (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)
    if item.is_movable:
        item.move_href = _url_of("appointment_move_confirm", a.pk)
    return item


_STATUS_LABELS = dict(AppointmentStatus.choices)
_STAGE_LABELS = dict(ChairStage.choices)
_URL_PLACEHOLDER = 987654321


def _url_of(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` from the pattern reversed once (300 reverses were a seventh of the board)."""
    pattern = _url_patterns.get(name)
    if pattern is None:
        pattern = _url_patterns[name] = reverse(name, args=[_URL_PLACEHOLDER])
    return pattern.replace(str(_URL_PLACEHOLDER), str(pk))


_url_patterns: dict[str, str] = {}


def readiness_words(readiness) -> str:
    """What a dose not ready still needs, in words (the tile's tooltip, the day sheet); "" when ready."""
    if readiness is None or readiness.ready:
        return ""
    return ("Not ready: " if readiness.blocking else "To do: ") + " ".join(m.message for m in readiness.missing)


def actual_chair_time(
    appointment: Appointment | BoardBooking, *, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    """From seating to discharge; up to now while the patient is still in the chair; None if never seated."""
    seated = appointment.chair_start_at
    if seated is None:
        return None
    if appointment.discharged_at is not None:
        return seated, max(appointment.discharged_at, seated)
    if appointment.status == AppointmentStatus.CHECKED_IN:
        return seated, max(now, seated)
    return None


def expected_free_at(appointment: Appointment | BoardBooking, *, now: dt.datetime) -> dt.datetime | None:
    """When a patient still in the chair will leave it: the booked chair time counted from seating, or now."""
    if appointment.status != AppointmentStatus.CHECKED_IN or appointment.chair_start_at is None:
        return None
    return max(appointment.chair_start_at + (appointment.end - appointment.start), now)


def _mark_late_running(items: list[BoardItem], *, now: dt.datetime, tz) -> None:
    """Mark a chair's patient who will still be in it when the chair's next booking should start."""
    appointments = sorted((i for i in items if i.appointment is not None), key=lambda i: i.start)
    for current in appointments:
        assert current.appointment is not None  # only appointments were kept above
        free_at = expected_free_at(current.appointment, now=now)
        seated = current.appointment.chair_start_at
        if free_at is None or seated is None:
            continue
        waiting = [
            i
            for i in appointments
            if i is not current
            and i.appointment is not None
            and i.appointment.status in READINESS_STATUSES
            and current.start <= i.start < free_at
            and i.start >= seated
        ]
        if waiting:
            nxt = waiting[0]
            current.late_note = (
                f"Running late: expected to free the chair at {free_at.astimezone(tz):%H:%M}, "
                f"after the next booking at {nxt.start.astimezone(tz):%H:%M}"
            )
            nxt.delayed_note = f"Delayed: the chair is expected free at {free_at.astimezone(tz):%H:%M}"


@dataclass
class BoardRow:
    chair: Chair
    items: list[BoardItem] = field(default_factory=list)


@dataclass
class BoardGroup:
    kind: str
    label: str
    rows: list[BoardRow]


@dataclass
class BoardTick:
    left: float
    label: str
    is_hour: bool


@dataclass
class BoardSlot:
    """One slot of the staffing strip, with the planner's load."""

    left: float
    width: float
    start: dt.datetime
    nurses: int
    watched: int
    watch_capacity: int
    starts: int
    start_capacity: int
    position: str = ""
    time: str = ""

    @property
    def is_watch_full(self) -> bool:
        return self.watched >= self.watch_capacity and (self.watched > 0 or self.nurses == 0)

    @property
    def is_start_full(self) -> bool:
        return self.starts >= self.start_capacity and (self.starts > 0 or self.nurses == 0)


@dataclass
class Board:
    center: Center
    day: dt.date
    opens: dt.datetime
    closes: dt.datetime
    is_open: bool
    closure: Closure | None
    groups: list[BoardGroup]
    ticks: list[BoardTick]
    slots: list[BoardSlot]
    now_left: float | None
    appointment_count: int
    freed_count: int  # cancelled or no-show today: not drawn
    staffing_error: str = ""

    @property
    def span_seconds(self) -> int:
        return int((self.closes - self.opens).total_seconds())

    @property
    def chair_count(self) -> int:
        return sum(len(g.rows) for g in self.groups)


def _percent(moment: dt.datetime, *, opens: dt.datetime, span_seconds: float) -> float:
    return round(max(0.0, min(100.0, (moment - opens).total_seconds() * 100 / span_seconds)), 4)


def _day_bounds(
    *, center: Center, day: dt.date, hours: OpeningHours | None, extra: list[tuple[dt.datetime, dt.datetime]]
) -> tuple[dt.datetime, dt.datetime]:
    """Opening to closing in the center's zone, widened (on the slot grid) to show anything outside it."""
    tz = center.tzinfo
    opens_at = hours.opens if hours else DEFAULT_OPENS
    closes_at = hours.closes if hours else DEFAULT_CLOSES
    opens = dt.datetime.combine(day, opens_at, tzinfo=tz)
    closes = dt.datetime.combine(day, closes_at, tzinfo=tz)
    step = dt.timedelta(minutes=center.slot_minutes)
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    day_end = day_start + dt.timedelta(days=1)
    for start, end in extra:
        while opens > max(start, day_start) and opens - step >= day_start:
            opens -= step
        while closes < min(end, day_end) and closes + step <= day_end:
            closes += step
    return opens, closes


@dataclass(frozen=True)
class DoseNote:
    """What a tile tells of its dose beyond the booking: readiness (None once the dose is under way) and
    the amount and weight (``DosePlan.tile_text``)."""

    readiness: Readiness | None
    tile_text: str


def dose_notes(
    *, center: Center, day: dt.date, today: dt.date, appointments: list[BoardBooking]
) -> dict[int, DoseNote]:
    """Each appointment's :class:`DoseNote`, cached per patient until that patient's version moves.

    Readiness and the amount read only the patient's own rows (orders, authorizations, documents,
    weights, appointments on any day: every write to them bumps ``patient:<id>``), the protocols' and the
    center's, and today's date. So after a write to one appointment only that patient's notes are worked
    out again (a handful of queries for one patient), not the day's 300. The patient's bookings of the
    day are in the key as well, so a row changed without a signal is never answered from a stale note.
    """
    by_patient: dict[int, list[BoardBooking]] = {}
    for a in appointments:
        by_patient.setdefault(a.patient_id, []).append(a)
    fixed = [center_scope(center.pk), PROTOCOLS_SCOPE]
    names = {}
    for patient_id, booked in by_patient.items():
        rows = ";".join(
            f"{a.pk},{a.protocol_id},{a.dose_number},{a.start.timestamp()},{a.end.timestamp()},{a.status},"
            f"{a.readiness_override_reason}"
            for a in booked
        )
        names[f"{patient_id}:{rows}"] = patient_id

    def load(missing: list[str]) -> dict[str, dict[int, DoseNote]]:
        batch = [a for name in missing for a in by_patient[names[name]]]
        waiting = [a.instance(center) for a in batch if a.status in READINESS_STATUSES]
        # Readiness flags the doses still missing an order, an authorization or a check (fixed queries).
        readiness = readiness_for(waiting, today=today)
        plans = dose_plans_for(batch, tz=center.tzinfo, amounts_only=True)  # type: ignore[arg-type]  # amount and weight (0–2 queries)
        return {
            name: {a.pk: DoseNote(readiness.get(a.pk), plans[a.pk].tile_text) for a in by_patient[names[name]]}
            for name in missing
        }

    found = cached_parts(
        f"board-doses:{center.pk}:{day}:{today}",
        {name: fixed + [patient_scope(patient_id)] for name, patient_id in names.items()},
        load,
    )
    return {pk: note for notes in found.values() for pk, note in notes.items()}


def board_for(*, center: Center, day: dt.date, now: dt.datetime | None = None) -> Board:
    """The chair board of one center for one local day, in a fixed number of queries."""
    now = now or timezone.now()
    tz = center.tzinfo
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    day_end = day_start + dt.timedelta(days=1)

    # Hours, closure and chairs from the center's cached fixed input; the day's chair blocks and the
    # staffing strip's shifts from the planner input's one query; the appointments in one more.
    fixed = fixed_input_for(center.pk)
    hours = fixed.hours_on(day)
    closure = fixed.closure_on(day)
    chairs = list(fixed.chair_rows)
    pin, day_blocks = board_input_for(center=center, day=day)
    protocols = protocols_by_pk()  # cached: one object per protocol, not one per appointment
    day_appointments = [
        BoardBooking(row, protocols)
        for row in Appointment.objects.filter(center=center)
        .overlapping(day_start, day_end)
        .order_by("start")
        .values_list(*BoardBooking.FIELDS)
    ]
    blocks = [
        ChairBlock(chair_id=b.chair_id, start=b.start, end=b.end, reason=b.reason)
        for b in day_blocks
        if b.end > day_start and b.start < day_end
    ]
    shown = [a for a in day_appointments if a.status in BOARD_STATUSES]
    notes = dose_notes(center=center, day=day, today=now.astimezone(tz).date(), appointments=shown)
    for appointment in shown:
        if appointment.status in READINESS_STATUSES:
            appointment.readiness = notes[appointment.pk].readiness
    vitals_late = vitals_overdue(shown, now=now)  # type: ignore[arg-type]  # none when nobody is infusing, else two queries

    actual = {a.pk: actual_chair_time(a, now=now) for a in shown}
    opens, closes = _day_bounds(
        center=center,
        day=day,
        hours=hours,
        extra=[(a.start, a.end) for a in shown] + [span for span in actual.values() if span],
    )
    span = (closes - opens).total_seconds()

    def place(start: dt.datetime, end: dt.datetime) -> tuple[float, float]:
        left = _percent(max(start, opens), opens=opens, span_seconds=span)
        right = _percent(min(end, closes), opens=opens, span_seconds=span)
        return left, max(right - left, 0.0)

    rows = {chair.pk: BoardRow(chair=chair) for chair in chairs}
    for block in blocks:
        if block.chair_id in rows and block.end > opens and block.start < closes:
            left, width = place(block.start, block.end)
            rows[block.chair_id].items.append(
                _describe(BoardItem(left, width, block.start, block.end, block=block), tz)
            )
    for appointment in shown:
        if appointment.chair_id in rows:
            left, width = place(appointment.start, appointment.end)
            item = _describe(BoardItem(left, width, appointment.start, appointment.end, appointment=appointment), tz)
            item.readiness_text = readiness_words(getattr(appointment, "readiness", None))
            item.title += notes[appointment.pk].tile_text
            if appointment.pk in vitals_late:
                item.vitals_note = f"Vitals overdue since {vitals_late[appointment.pk].astimezone(tz):%H:%M}"
            chair_time = actual[appointment.pk]
            if chair_time:
                seated, left_at = chair_time
                a_left, a_width = place(seated, left_at)
                item.actual_position = f"left: {a_left:.4f}%; width: {max(a_width, 0.4):.4f}%"
                still_in = appointment.discharged_at is None
                item.actual_label = f"In the chair {seated.astimezone(tz):%H:%M}–{'now' if still_in else f'{left_at.astimezone(tz):%H:%M}'}"
            rows[appointment.chair_id].items.append(item)
    for row in rows.values():
        _mark_late_running(row.items, now=now, tz=tz)
    groups = []
    for kind, label in ChairKind.choices:
        kind_rows = [rows[c.pk] for c in chairs if c.kind == kind]
        if kind_rows:
            plural = {"chair": "Chairs", "bed": "Beds", "room": "Private rooms"}.get(kind, label)
            groups.append(BoardGroup(kind=kind, label=plural, rows=kind_rows))

    ticks = []
    step = dt.timedelta(minutes=center.slot_minutes)
    moment = opens
    while moment < closes:
        local = moment.astimezone(tz)
        ticks.append(
            BoardTick(
                left=_percent(moment, opens=opens, span_seconds=span),
                label=f"{local:%H:%M}",
                is_hour=local.minute == 0,
            )
        )
        moment += step

    slots, staffing_error = _staffing(center=center, day=day, opens=opens, span=span, planner_input=pin)
    now_left = _percent(now, opens=opens, span_seconds=span) if opens <= now <= closes else None
    return Board(
        center=center,
        day=day,
        opens=opens,
        closes=closes,
        is_open=hours is not None and closure is None,
        closure=closure,
        groups=groups,
        ticks=ticks,
        slots=slots,
        now_left=now_left,
        appointment_count=len(shown),
        freed_count=len(day_appointments) - len(shown),
        staffing_error=staffing_error,
    )


def _staffing(
    *, center: Center, day: dt.date, opens: dt.datetime, span: float, planner_input: planner.PlannerInput
) -> tuple[list[BoardSlot], str]:
    """The staffing strip from the planner's day load (nurses, watched vs capacity, starts vs capacity)."""
    slots = []
    for load in planner.day_load(planner_input, day):
        left = _percent(load.start, opens=opens, span_seconds=span)
        right = _percent(load.end, opens=opens, span_seconds=span)
        if right <= left:
            continue
        slots.append(
            BoardSlot(
                left=left,
                width=right - left,
                start=load.start,
                nurses=load.nurses,
                watched=load.watched,
                watch_capacity=load.watch_capacity,
                starts=load.starts,
                start_capacity=load.start_capacity,
                position=f"left: {left:.4f}%; width: {right - left:.4f}%",
                time=f"{load.start.astimezone(center.tzinfo):%H:%M}",
            )
        )
    return slots, ""


# --- The week at a glance -------------------------------------------------------------------------

# Day-parts of the week view: the morning ends at noon.
NOON = dt.time(12, 0)


@dataclass
class WeekCell:
    """One chair on one day: how much of the opening time is booked."""

    booked_minutes: int
    open_minutes: int
    count: int

    @property
    def percent(self) -> int:
        return round(self.booked_minutes * 100 / self.open_minutes) if self.open_minutes else 0


@dataclass
class WeekDay:
    day: dt.date
    is_open: bool
    closure: Closure | None
    morning: WeekCell
    afternoon: WeekCell
    total: WeekCell


@dataclass
class WeekRow:
    chair: Chair
    cells: list[WeekCell]


@dataclass
class Week:
    center: Center
    monday: dt.date
    days: list[WeekDay]
    rows: list[WeekRow]


def _overlap_minutes(start: dt.datetime, end: dt.datetime, lo: dt.datetime, hi: dt.datetime) -> int:
    return max(0, int((min(end, hi) - max(start, lo)).total_seconds() // 60))


def week_for(*, center: Center, day: dt.date) -> Week:
    """Chairs × days of the week (Monday to Sunday) holding ``day``: booked share of the opening time,
    per chair and per day-part, to see where a series fits. Four queries whatever the size."""
    tz = center.tzinfo
    monday = day - dt.timedelta(days=day.weekday())
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    week_start = dt.datetime.combine(monday, dt.time(0), tzinfo=tz)
    week_end = week_start + dt.timedelta(days=7)
    hours = {h.weekday: h for h in OpeningHours.objects.filter(center=center)}
    closures = {c.date: c for c in Closure.objects.filter(center=center, date__in=days)}
    # Chairs, then beds, then rooms, each in the order set up on the setup page (as the board shows them).
    kinds = [kind for kind, _ in ChairKind.choices]
    chairs = sorted(
        Chair.objects.filter(center=center, is_active=True).order_by("position", "label"),
        key=lambda chair: kinds.index(chair.kind),
    )
    appointments = list(
        Appointment.objects.active()
        .filter(center=center)
        .overlapping(week_start, week_end)
        .only("chair_id", "start", "end")
    )
    bounds = {}
    for d in days:
        h = hours.get(d.weekday())
        if h is None or d in closures:
            continue
        bounds[d] = (
            dt.datetime.combine(d, h.opens, tzinfo=tz),
            dt.datetime.combine(d, max(h.opens, min(NOON, h.closes)), tzinfo=tz),
            dt.datetime.combine(d, h.closes, tzinfo=tz),
        )
    by_chair: dict[int, list[Appointment]] = {}
    for a in appointments:
        by_chair.setdefault(a.chair_id, []).append(a)

    def cell(chair_appointments: list[Appointment], lo: dt.datetime, hi: dt.datetime, chairs_count: int = 1):
        booked = [_overlap_minutes(a.start, a.end, lo, hi) for a in chair_appointments]
        open_minutes = _overlap_minutes(lo, hi, lo, hi) * chairs_count
        return WeekCell(booked_minutes=sum(booked), open_minutes=open_minutes, count=sum(1 for m in booked if m))

    closed = WeekCell(0, 0, 0)
    rows = [
        WeekRow(
            chair=chair,
            cells=[
                cell(by_chair.get(chair.pk, []), bounds[d][0], bounds[d][2]) if d in bounds else closed for d in days
            ],
        )
        for chair in chairs
    ]
    week_days = []
    for d in days:
        if d not in bounds:
            week_days.append(WeekDay(d, False, closures.get(d), closed, closed, closed))
            continue
        opens, noon, closes = bounds[d]
        week_days.append(
            WeekDay(
                d,
                True,
                None,
                morning=cell(appointments, opens, noon, len(chairs)),
                afternoon=cell(appointments, noon, closes, len(chairs)),
                total=cell(appointments, opens, closes, len(chairs)),
            )
        )
    return Week(center=center, monday=monday, days=week_days, rows=rows)
