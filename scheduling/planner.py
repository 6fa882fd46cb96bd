"""The slot planner: where can this infusion go?

A pure module: plain, immutable dataclasses in, plain dataclasses out; no ORM,
no clock, no I/O. ``scheduling.planner_input`` builds a :class:`PlannerInput`
from the database; pages, the API, series booking and the booking service all
ask this module the same questions.

Rules (every candidate satisfies all of them; :func:`check_placement` names
each one a given placement breaks):

* **Hours.** The day must be open (a weekday with opening hours, not a
  closure). The whole chair time — set-up, pre-medication, infusion,
  observation, first-dose or later-dose duration — lies inside
  ``[opens, closes)`` in the center's local time. Starts lie on the center's
  grid: the opening time plus a whole number of ``slot_minutes``. Local times
  are turned into instants with ``zoneinfo``, so daylight-saving days keep
  their wall-clock hours; all arithmetic after that is on aware instants.
  Every range is half-open: an appointment ending at 11:00 and one starting at
  11:00 do not overlap.
* **Chair.** Active, of the protocol's required kind (chair, bed, room) and
  with every required feature; free of active appointments and of chair blocks
  for the whole chair time. An appointment being moved does not block itself.
* **Watch capacity.** At every instant of the chair time, patients in chairs
  (the appointments covering that instant, plus this one) ≤ nurses on shift ×
  ``patients_per_nurse``; and at least one nurse is on shift.
* **Start capacity.** Starting an infusion takes a nurse's full attention.
  The day is cut into start windows: real intervals of ``start_window_minutes``
  elapsed minutes counted from the instant of local midnight (08:00–08:30,
  08:30–09:00, … on an ordinary day; see :func:`start_window`). On the
  fall-back day the repeated 01:00 hour is a second set of windows, not the
  first one again; on both daylight-saving days every window lasts exactly
  ``start_window_minutes``, and with windows dividing an hour they still begin
  on the wall-clock half hours. The starts in a window,
  this one included, ≤ ``starts_per_nurse_per_window`` × the nurses on shift
  for the whole window (the fewest on shift at any instant of the window
  while the center is open). An appointment's start time is its start.
* **Not before.** With ``not_before`` set (e.g. now, for same-day add-ons),
  no start earlier than it.
* **Same-day add-on reserve.** ``PlannerInput.addon_reserve`` holds back chair
  minutes on some local days (the adapter lists a day only until its release
  time, e.g. 16:00 the day before): a placement that would leave fewer free
  chair minutes that day (active chairs' free time inside opening hours, after
  bookings and blocks) than the reserve is refused (:func:`reserve_holds`).

Ranking (see :func:`_sort_key`). Candidates are the best chair for each
feasible start time. A nurse books requests one at a time and takes the first
candidate, so the ranking is an online packing rule: it has to leave the day
able to hold what is still to come. They are ordered by

1. weekday preference (preferred weekdays first, when the patient has any),
2. time-of-day preference (morning = starts before 12:00, afternoon after),
3. the day (earliest first),
4. a score, lower is better (weights are the constants below), the sum of
   * **start cap** (``AT_CAP_WEIGHT``): the start would fill its window's nurse
     starts to the cap. Starts spread only as far as that: a window below its
     cap costs nothing (unless chairs are waiting to start in it, see *restart*),
     so chairs are not left idle for the sake of spreading;
   * **look-ahead** (``LOOKAHEAD_WEIGHT`` per patient, only with a template):
     the patients the template still expects that day (its starts of each
     duration class less the day's bookings of that class, less this request)
     that the chairs' free stretches would no longer hold after this placement.
     They are laid greedily into the free stretches, longest first, each in the
     tightest stretch that holds it (best-fit decreasing, in whole grid steps),
     before and after the placement; the difference is the cost. Taking the
     room the rest of the day's template needs is what this weighs, for every
     duration class at once;
   * **room for long infusions the template no longer expects** (a bonus of
     ``LONG_ROOM_WEIGHT`` each, only with a template): for each long duration
     class (``LONG_CHAIR_MINUTES`` or more, longer than the request) whose
     template starts that day are all booked, how many infusions of it the
     placement's free stretch no longer holds. A chair day kept whole for a
     long infusion the template does not expect holds more patients as shorter
     ones (on an overbooked day the late long requests then find no room, and
     the short ones do). Once the template expects no long infusion of that
     length *or longer* either, each is worth ``NO_LONGER_EXPECTED_WEIGHT``
     more: while longer ones are still expected their room also holds this
     class, and only the look-ahead weighs it. Giving such room up while the
     template still expects some of the class (room beyond the expected count)
     placed more patients at 120 % load but fewer at equal load, where a day's
     mix often holds more long infusions than the template's
     (``bench/planner_bench.py``);
   * **restart** (``RESTART_WEIGHT`` each): the start is not at the beginning
     of its free stretch and falls in a window whose spare nurse starts the
     chairs already waiting there need (free stretches that begin in it, after
     a booking or a block, see :attr:`_Day.restart_pressed`), or the free
     stretch it leaves after its end will wait in such a window. Chairs that
     come free together cannot all start again at once: their idle steps are
     lost and the late requests meet windows at their cap;
   * **spare kind** (``SPARE_KIND_WEIGHT``): a bed or room for a protocol that
     does not need one;
   * tie-breaks, together smaller than any term above: **not snug**
     (``NOT_SNUG_WEIGHT``: a free grid start is left on both sides) and **best
     fit** (``TIGHT_WEIGHT`` × the free stretch's length as a share of the day:
     the tightest stretch that holds the chair time, so long ones stay whole);
5. the start time (earliest first), then the chair label (deterministic).

For each start time the chair with the lowest score part that depends on the
chair (look-ahead, room, restart, kind, snug, fit) is the candidate; ties go to the first label.

**Template** (optional, ``PlannerInput.template``): for each weekday, starts kept at local
wall-clock times for a *duration class* (the chair time rounded up to the slot grid, see
:func:`duration_class`). The ranking uses it as the day's expected demand: how many patients
of each class are still to come (the look-ahead) and how many long infusions the day should
hold (the surplus room). When the template's starts of every class are booked, both terms are
zero and the ranking is today's. Measured against first-fit and CP-SAT, steering each request
to the template's exact start times (or to chairs the template's unbooked starts are laid on)
placed fewer patients than packing freely against the template's expected demand
(``bench/planner_bench.py``). :func:`template_compliance` counts a day's
bookings that sit in a template start of their class. Every hard rule above holds whatever
the template says.

When a day has no candidate its :class:`DayReport` lists every reason met on
that day with how many grid start times it refused.
"""

from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

# Chair times of this many minutes or more are "long": the template keeps room for them.
LONG_CHAIR_MINUTES = 240
# Score weights (see the module docstring), tuned with bench/planner_bench.py against first-fit and CP-SAT.
# A start that fills its window's nurse starts to the cap (the late nurse, the add-on has no room left):
AT_CAP_WEIGHT = 3.0
# Each patient the template still expects that the free stretches would no longer hold:
LOOKAHEAD_WEIGHT = 1.0
# Each long infusion's room given up once the template's starts of its class are all booked (a bonus):
LONG_ROOM_WEIGHT = 1.0
# ... and as much again once the template expects no long infusion of that length or longer at all:
NO_LONGER_EXPECTED_WEIGHT = 1.0
# A start, or a free stretch left after the end, in a window whose spare nurse starts the chairs already
# waiting to start there (free stretches beginning in it) take up:
RESTART_WEIGHT = 0.2
# Taking a bed or room when the protocol does not need one (keep them for those that do):
SPARE_KIND_WEIGHT = 0.25
# Tie-breaks, together less than the smallest weight above: not snug on either side, then how long
# the free stretch is (best fit: the tightest one that holds the chair time).
NOT_SNUG_WEIGHT = 0.1
TIGHT_WEIGHT = 0.1
TEMPLATE_NOTES = (
    "leaves room for every patient the template still expects",
    "takes room the template keeps for patients still to come",
)
MORNING_ENDS = dt.time(12, 0)
MAX_LIMIT = 100
timedelta_zero = dt.timedelta(0)

REASON_MESSAGES = {
    "closed": "The center is closed.",
    "too_long_for_day": "The chair time is longer than the center's opening hours that day.",
    "outside_hours": "The chair time is not inside the center's opening hours.",
    "off_grid": "The start is not on the center's time grid.",
    "no_chair_with_features": "No active chair has the kind and features this protocol needs.",
    "chair_lacks_features": "This chair is not of the kind or lacks a feature the protocol needs.",
    "chair_inactive_or_unknown": "This chair is out of service or not part of this center.",
    "chair_taken": "The chair is already booked for an overlapping time.",
    "chair_blocked": "The chair is blocked (out of service) for part of that time.",
    "chairs_full": "Every suitable chair is booked or blocked.",
    "no_nurse_on_shift": "No nurse is on shift for part of the chair time.",
    "nurse_watch_full": "The nurses on shift are already watching as many patients as they may.",
    "nurse_start_full": "The nurses on shift have no infusion start left in that start window.",
    "before_not_before": "The time has already passed.",
    "addon_reserve": "The chair time left that day is held back for same-day add-ons until its release time.",
}


# --- Input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CenterRules:
    timezone: str
    slot_minutes: int = 15
    patients_per_nurse: int = 4
    starts_per_nurse_per_window: int = 2
    start_window_minutes: int = 30
    # weekday (0 = Monday) -> (opens, closes), local wall-clock times
    opening_hours: Mapping[int, tuple[dt.time, dt.time]] = field(default_factory=dict)
    closures: frozenset[dt.date] = frozenset()
    min_useful_gap_minutes: int = 60

    @cached_property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ChairInfo:
    id: int
    label: str
    kind: str = "chair"
    features: frozenset[str] = frozenset()
    is_active: bool = True


@dataclass(frozen=True)
class BookedSlot:
    """An appointment that holds its chair (and a nurse's watch and a start)."""

    id: int
    chair_id: int
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class BlockedTime:
    chair_id: int
    start: dt.datetime
    end: dt.datetime
    reason: str = ""


@dataclass(frozen=True)
class Shift:
    nurse_id: int
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class TemplateSlot:
    """``count`` starts of one duration class reserved at one local wall-clock time."""

    start: dt.time
    minutes: int  # the duration class: chair time rounded up to the slot grid (see duration_class)
    count: int = 1


@dataclass(frozen=True)
class Template:
    """The center's booking template: for each weekday (0 = Monday), the starts it reserves."""

    days: Mapping[int, tuple[TemplateSlot, ...]] = field(default_factory=dict)

    def slots_for(self, weekday: int) -> tuple[TemplateSlot, ...]:
        return tuple(self.days.get(weekday, ()))


@dataclass(frozen=True)
class PlannerInput:
    rules: CenterRules
    chairs: tuple[ChairInfo, ...] = ()
    booked: tuple[BookedSlot, ...] = ()
    blocks: tuple[BlockedTime, ...] = ()
    shifts: tuple[Shift, ...] = ()
    template: Template | None = None
    # local day -> chair minutes held back for same-day add-ons (only days whose reserve is not released yet)
    addon_reserve: Mapping[dt.date, int] = field(default_factory=dict)

    def with_booking(self, slot: BookedSlot) -> PlannerInput:
        """A copy with one more booking (for streaming requests through the planner)."""
        return replace(self, booked=(*self.booked, slot))

    @cached_property
    def _days(self) -> dict:
        # (day, excluded appointment id) -> _Day; filled lazily (cached_property writes to __dict__).
        return {}

    @cached_property
    def _chairs_by_id(self) -> dict[int, ChairInfo]:
        return {c.id: c for c in self.chairs}

    @cached_property
    def _sorted_booked(self) -> tuple[list[dt.datetime], list[BookedSlot]]:
        items = sorted(self.booked, key=lambda b: b.start)
        return [b.start for b in items], items

    @cached_property
    def _sorted_blocks(self) -> tuple[list[dt.datetime], list[BlockedTime]]:
        items = sorted(self.blocks, key=lambda b: b.start)
        return [b.start for b in items], items

    @cached_property
    def _sorted_shifts(self) -> tuple[list[dt.datetime], list[Shift]]:
        items = sorted(self.shifts, key=lambda s: s.start)
        return [s.start for s in items], items

    @cached_property
    def _max_shift(self) -> dt.timedelta:
        return max((s.end - s.start for s in self.shifts), default=dt.timedelta(0))

    @cached_property
    def _max_booked_minutes(self) -> dt.timedelta:
        return max((b.end - b.start for b in self.booked), default=dt.timedelta(0))

    @cached_property
    def _max_block(self) -> dt.timedelta:
        return max((b.end - b.start for b in self.blocks), default=dt.timedelta(0))


@dataclass(frozen=True)
class SlotRequest:
    chair_minutes: int
    date_from: dt.date
    date_to: dt.date
    required_kind: str | None = None
    required_features: frozenset[str] = frozenset()
    preferred_time_of_day: str = "any"  # any | morning | afternoon
    preferred_weekdays: frozenset[int] | None = None
    exclude_appointment_id: int | None = None
    limit: int = 10
    not_before: dt.datetime | None = None

    def __post_init__(self) -> None:
        if self.chair_minutes <= 0:
            raise ValueError("chair_minutes must be positive")
        if self.date_to < self.date_from:
            raise ValueError("date_to is before date_from")
        if self.preferred_time_of_day not in ("any", "morning", "afternoon"):
            raise ValueError("preferred_time_of_day must be any, morning or afternoon")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIMIT}")
        if self.not_before is not None and self.not_before.tzinfo is None:
            raise ValueError("not_before must be timezone-aware")


# --- Output -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


@dataclass(frozen=True)
class Candidate:
    chair_id: int
    chair_label: str
    start: dt.datetime
    end: dt.datetime
    score: float
    reason: str


@dataclass(frozen=True)
class DayReport:
    day: dt.date
    candidate_count: int
    reasons: tuple[Refusal, ...] = ()


@dataclass(frozen=True)
class PlanResult:
    candidates: tuple[Candidate, ...]
    days: tuple[DayReport, ...]


@dataclass(frozen=True)
class SlotLoad:
    """Staffing of one grid slot, for the chair board's staffing strip."""

    start: dt.datetime
    end: dt.datetime
    nurses: int
    watched: int
    watch_capacity: int
    starts: int
    start_capacity: int


# --- One day's prepared state -----------------------------------------------------------------


def local_bounds(rules: CenterRules, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """The day's opening and closing instants (UTC), or None when closed."""
    if day in rules.closures:
        return None
    hours = rules.opening_hours.get(day.weekday())
    if not hours:
        return None
    tz = rules.tzinfo
    opens = dt.datetime.combine(day, hours[0], tzinfo=tz).astimezone(dt.UTC)
    closes = dt.datetime.combine(day, hours[1], tzinfo=tz).astimezone(dt.UTC)
    if closes <= opens:
        return None
    return opens, closes


def local_midnight(rules: CenterRules, day: dt.date) -> dt.datetime:
    """The instant (UTC) the local day begins."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=rules.tzinfo).astimezone(dt.UTC)


def duration_class(rules: CenterRules, chair_minutes: int) -> int:
    """The template's duration class of a chair time: the minutes rounded up to the slot grid."""
    return -(-chair_minutes // rules.slot_minutes) * rules.slot_minutes


def start_window(rules: CenterRules, t: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The start window ``[begin, end)`` (UTC) holding instant ``t``.

    Windows are ``start_window_minutes`` of elapsed time counted from the instant of local midnight
    of ``t``'s local day, never wall-clock minutes: 01:00 EDT and 01:00 EST on the fall-back day are
    an hour apart and in different windows.
    """
    midnight = local_midnight(rules, t.astimezone(rules.tzinfo).date())
    window = dt.timedelta(minutes=rules.start_window_minutes)
    begin = midnight + (t.astimezone(dt.UTC) - midnight) // window * window
    return begin, begin + window


class _SparseMin:
    """Range minimum in O(1) after O(n log n) preparation (a sparse table)."""

    def __init__(self, values: list[int]) -> None:
        self.levels = [list(values)]
        width = 1
        while 2 * width <= len(values):
            below = self.levels[-1]
            self.levels.append([min(below[i], below[i + width]) for i in range(len(below) - width)])
            width *= 2

    def query(self, first: int, last: int) -> int:
        """Minimum of values[first..last] (inclusive)."""
        if last < first:
            return 1 << 30
        level = (last - first + 1).bit_length() - 1
        row = self.levels[level]
        return min(row[first], row[last - (1 << level) + 1])


def _merge(intervals: Iterable[tuple[dt.datetime, dt.datetime]]) -> tuple[list[dt.datetime], list[dt.datetime]]:
    starts: list[dt.datetime] = []
    ends: list[dt.datetime] = []
    for s, e in sorted(intervals):
        if ends and s <= ends[-1]:
            if e > ends[-1]:
                ends[-1] = e
        else:
            starts.append(s)
            ends.append(e)
    return starts, ends


class _Day:
    """Everything needed to test placements on one open day, built once."""

    def __init__(self, pin: PlannerInput, day: dt.date, exclude_id: int | None) -> None:
        rules = pin.rules
        self.day = day
        self.rules = rules
        bounds = local_bounds(rules, day)
        self.open = bounds is not None
        if bounds is None:
            return
        self.opens, self.closes = bounds
        step = dt.timedelta(minutes=rules.slot_minutes)
        grid = []
        t = self.opens
        while t < self.closes:
            grid.append(t)
            t += step
        self.grid = grid

        lo, hi = self.opens, self.closes
        keys, booked = pin._sorted_booked
        first = bisect.bisect_left(keys, lo - pin._max_booked_minutes)
        last = bisect.bisect_left(keys, hi)
        appts = [b for b in booked[first:last] if b.end > lo and b.id != exclude_id]
        bkeys, blocks = pin._sorted_blocks
        first = bisect.bisect_left(bkeys, lo - pin._max_block)
        last = bisect.bisect_left(bkeys, hi)
        day_blocks = [b for b in blocks[first:last] if b.end > lo]

        self.appointments, self.day_blocks = appts, day_blocks
        # Each chair's busy time as disjoint sorted intervals (starts, ends). The bookings come in
        # start order: merged as they come, in one pass (a 200-chair day holds a thousand); the few
        # chairs with a block are merged again with their blocks.
        busy: dict[int, tuple[list[dt.datetime], list[dt.datetime]]] = {}
        for a in appts:
            merged = busy.get(a.chair_id)
            if merged is None:
                busy[a.chair_id] = ([a.start], [a.end])
                continue
            starts, ends = merged
            if a.start <= ends[-1]:
                if a.end > ends[-1]:
                    ends[-1] = a.end
            else:
                starts.append(a.start)
                ends.append(a.end)
        blocked: dict[int, list] = defaultdict(list)
        for b in day_blocks:
            blocked[b.chair_id].append((b.start, b.end))
        for chair_id, intervals in blocked.items():
            if chair_id in busy:
                intervals += zip(*busy[chair_id], strict=True)
            busy[chair_id] = _merge(intervals)
        self.busy = busy

        # Step functions of nurses on shift and patients watched over [opens, closes).
        delta_nurses: Counter = Counter()
        skeys, shifts = pin._sorted_shifts
        first = bisect.bisect_left(skeys, lo - pin._max_shift)
        last = bisect.bisect_left(skeys, hi)
        for s in shifts[first:last]:
            if s.end > lo:
                delta_nurses[max(s.start, lo)] += 1
                delta_nurses[min(s.end, hi)] -= 1
        # Counted in one pass each (Counter's C loop): a 200-chair day has nearly a thousand bookings.
        watched_from = Counter([a.start if a.start > lo else lo for a in appts])
        watched_until = Counter([a.end if a.end < hi else hi for a in appts])
        points = sorted({lo, hi, *delta_nurses, *watched_from, *watched_until})
        nurses = watched = 0
        self.seg_starts: list[dt.datetime] = []
        self.seg_nurses: list[int] = []
        self.seg_watched: list[int] = []
        for p in points:
            nurses += delta_nurses[p]
            watched += watched_from[p] - watched_until[p]
            if p >= hi:
                break
            self.seg_starts.append(p)
            self.seg_nurses.append(nurses)
            self.seg_watched.append(watched)
        per_nurse = rules.patients_per_nurse
        self._nurse_min = _SparseMin(self.seg_nurses)
        # Spare watch places per segment; segments without a nurse are left to "no nurse on shift".
        self._slack_min = _SparseMin(
            [n * per_nurse - w if n > 0 else 1 << 30 for n, w in zip(self.seg_nurses, self.seg_watched, strict=True)]
        )

        self.window = dt.timedelta(minutes=rules.start_window_minutes)
        self.midnight = local_midnight(rules, day)
        self._window_of: dict[dt.datetime, dt.datetime] = {}
        self.window_starts: Counter = Counter()
        for start, count in Counter([a.start for a in appts if lo <= a.start < hi]).items():
            self.window_starts[self.window_of(start)] += count
        self._window_nurses: dict[dt.datetime, int] = {}
        self.template_slots = pin.template.slots_for(day.weekday()) if pin.template else ()
        self.active_chair_ids = [c.id for c in pin.chairs if c.is_active]

    @cached_property
    def template_unfilled(self) -> Counter:
        """The template's starts on this day that no booking fills: (instant, duration class) -> count."""
        wanted = _template_wanted(self)
        for a in self.appointments:
            key = (a.start, duration_class(self.rules, int((a.end - a.start).total_seconds() // 60)))
            if wanted[key] > 0:
                wanted[key] -= 1
        return +wanted

    @cached_property
    def template_remaining(self) -> Counter:
        """Duration class -> the template's starts of it that day less the day's bookings of it (≥ 0)."""
        wanted: Counter = Counter()
        for (_, minutes), count in _template_wanted(self).items():
            wanted[minutes] += count
        for a in self.appointments:
            if self.opens <= a.start < self.closes:
                wanted[duration_class(self.rules, int((a.end - a.start).total_seconds() // 60))] -= 1
        return +wanted

    @cached_property
    def long_room_expected(self) -> dict[int, int]:
        """Long duration classes (chair minutes) -> starts the template still expects today.

        The template's starts of each class of ``LONG_CHAIR_MINUTES`` or more, less the day's bookings
        of that class (wherever they sit), never below zero.
        """
        wanted: Counter = Counter()
        for (_, minutes), count in _template_wanted(self).items():
            if minutes >= LONG_CHAIR_MINUTES:
                wanted[minutes] += count
        if not wanted:  # no long class expected: skip reading the day's bookings
            return {}
        for a in self.appointments:
            if self.opens <= a.start < self.closes:
                minutes = duration_class(self.rules, int((a.end - a.start).total_seconds() // 60))
                if minutes in wanted:
                    wanted[minutes] -= 1
        return {minutes: max(count, 0) for minutes, count in wanted.items()}

    @cached_property
    def restart_pressed(self) -> list[bool]:
        """Per grid index: whether its window's starts are all wanted by chairs waiting to start there.

        A free stretch that begins after a booking or a block (not at the opening) and holds at least
        ``min_useful_gap_minutes`` from its first grid start waits for a start in that start's window;
        a window is pressed when its booked starts and the stretches waiting in it reach its start
        capacity. (Counted in whole grid steps, like the look-ahead.)
        """
        step = self.rules.slot_minutes * 60
        useful = -(-self.rules.min_useful_gap_minutes // self.rules.slot_minutes)
        waiting: Counter = Counter()
        # Chairs share most of their stretches: each distinct one is weighed once, with its count.
        stretches = Counter(gap for chair in self.active_chair_ids for gap in self.free_gaps(chair))
        for (begin, end), count in stretches.items():
            if begin == self.opens:
                continue
            first = -(-int((begin - self.opens).total_seconds()) // step)
            if first < len(self.grid) and int((end - self.opens).total_seconds()) // step - first >= useful:
                waiting[self.window_of(self.grid[first])] += count
        capacity = self.rules.starts_per_nurse_per_window
        return [
            self.window_starts[w] + waiting[w] >= capacity * self.window_nurses(w)
            for w in map(self.window_of, self.grid)
        ]

    def window_of(self, t: dt.datetime) -> dt.datetime:
        """The beginning (UTC) of the start window holding instant ``t``."""
        cached = self._window_of.get(t)
        if cached is None:
            cached = self._window_of[t] = self.midnight + (t - self.midnight) // self.window * self.window
        return cached

    def _segments(self, start: dt.datetime, end: dt.datetime):
        """Indexes of the step-function segments intersecting [start, end)."""
        i = max(bisect.bisect_right(self.seg_starts, start) - 1, 0)
        n = len(self.seg_starts)
        while i < n and self.seg_starts[i] < end:
            yield i
            i += 1

    def min_nurses(self, start: dt.datetime, end: dt.datetime) -> int:
        return min((self.seg_nurses[i] for i in self._segments(start, end)), default=0)

    def window_nurses(self, window_begin: dt.datetime) -> int:
        cached = self._window_nurses.get(window_begin)
        if cached is None:
            lo = max(window_begin, self.opens)
            hi = min(window_begin + self.window, self.closes)
            cached = self.min_nurses(lo, hi) if lo < hi else 0
            self._window_nurses[window_begin] = cached
        return cached

    def staffing(self, start: dt.datetime, end: dt.datetime) -> tuple[list[str], bool]:
        """Refusal codes of the nurse rules for [start, end), and whether this start fills its window's cap."""
        codes = []
        first = max(bisect.bisect_right(self.seg_starts, start) - 1, 0)
        last = bisect.bisect_left(self.seg_starts, end) - 1
        no_nurse = self._nurse_min.query(first, last) <= 0
        watch_full = self._slack_min.query(first, last) < 1
        if no_nurse:
            codes.append("no_nurse_on_shift")
        if watch_full:
            codes.append("nurse_watch_full")
        window = self.window_of(start)
        start_capacity = self.rules.starts_per_nurse_per_window * self.window_nurses(window)
        used = self.window_starts[window] + 1
        # With nobody on shift at all, "no nurse" already says it; don't also blame start capacity.
        if used > start_capacity and not (no_nurse and not start_capacity):
            codes.append("nurse_start_full")
        return codes, used >= start_capacity

    def free_gaps(self, chair_id: int) -> list[tuple[dt.datetime, dt.datetime]]:
        """The chair's free stretches inside opening hours, in order (computed once per chair)."""
        found = self._free_gaps.get(chair_id)
        if found is None:
            found = self._free_gaps[chair_id] = self._find_free_gaps(chair_id)
        return found

    @cached_property
    def _free_gaps(self) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
        return {}

    def _find_free_gaps(self, chair_id: int) -> list[tuple[dt.datetime, dt.datetime]]:
        merged = self.busy.get(chair_id)
        if not merged:
            return [(self.opens, self.closes)]
        # The busy intervals are disjoint, sorted and each overlaps the opening hours (see __init__):
        # the free stretches lie between consecutive ones, before the first and after the last. Only
        # the first may begin before the opening and the last end after the closing; the stretches
        # those would make are empty and dropped.
        starts, ends = merged
        return [
            (begin, end) for begin, end in zip([self.opens, *ends], [*starts, self.closes], strict=True) if end > begin
        ]


def reserve_holds(pin: PlannerInput, d: _Day, chair_minutes: int) -> bool:
    """Whether the day's add-on reserve refuses ``chair_minutes`` more of booked chair time."""
    reserve = pin.addon_reserve.get(d.day, 0)
    if reserve <= 0 or not d.open:
        return False
    free = sum(
        (end - start for chair in pin.chairs if chair.is_active for start, end in d.free_gaps(chair.id)),
        timedelta_zero,
    )
    return free - dt.timedelta(minutes=chair_minutes) < dt.timedelta(minutes=reserve)


def _day(pin: PlannerInput, day: dt.date, exclude_id: int | None) -> _Day:
    key = (day, exclude_id)
    cache = pin._days
    found = cache.get(key)
    if found is None:
        found = cache[key] = _Day(pin, day, exclude_id)
    return found


def _chair_fits(chair: ChairInfo, kind: str | None, features: frozenset[str]) -> bool:
    return chair.is_active and (not kind or chair.kind == kind) and features <= chair.features


def _message(code: str) -> str:
    return REASON_MESSAGES[code]


# --- Questions --------------------------------------------------------------------------------


def check_placement(
    pin: PlannerInput,
    *,
    chair_id: int,
    start: dt.datetime,
    chair_minutes: int,
    required_kind: str | None = None,
    required_features: frozenset[str] = frozenset(),
    exclude_appointment_id: int | None = None,
) -> list[Refusal]:
    """Every rule this placement breaks; an empty list means it may be booked."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if chair_minutes <= 0:
        raise ValueError("chair_minutes must be positive")
    rules = pin.rules
    start = start.astimezone(dt.UTC)
    end = start + dt.timedelta(minutes=chair_minutes)
    refusals: list[str] = []
    chair = pin._chairs_by_id.get(chair_id)
    if chair is None or not chair.is_active:
        refusals.append("chair_inactive_or_unknown")
    elif not _chair_fits(chair, required_kind, frozenset(required_features)):
        refusals.append("chair_lacks_features")
    local_day = start.astimezone(rules.tzinfo).date()
    day = _day(pin, local_day, exclude_appointment_id)
    if not day.open:
        refusals.append("closed")
        return [Refusal(c, _message(c)) for c in refusals]
    if start < day.opens or end > day.closes:
        refusals.append("outside_hours")
    elif (start - day.opens) % dt.timedelta(minutes=rules.slot_minutes):
        refusals.append("off_grid")
    if chair is not None:
        if any(a.chair_id == chair_id and a.start < end and start < a.end for a in day.appointments):
            refusals.append("chair_taken")
        if any(b.chair_id == chair_id and b.start < end and start < b.end for b in day.day_blocks):
            refusals.append("chair_blocked")
    codes, _ = day.staffing(max(start, day.opens), min(end, day.closes))
    refusals.extend(codes)
    if reserve_holds(pin, day, chair_minutes):
        refusals.append("addon_reserve")
    return [Refusal(c, _message(c)) for c in refusals]


def _sort_key(candidate: Candidate, weekday_miss: int, time_miss: int, day: dt.date):
    return (weekday_miss, time_miss, day, round(candidate.score, 9), candidate.start, candidate.chair_label)


def find_slots(pin: PlannerInput, request: SlotRequest) -> PlanResult:
    """Ranked candidates for the request, with a report for every day examined."""
    rules = pin.rules
    tz = rules.tzinfo
    duration = dt.timedelta(minutes=request.chair_minutes)
    sliver = dt.timedelta(minutes=rules.min_useful_gap_minutes)
    features = frozenset(request.required_features)
    chairs = sorted(
        (c for c in pin.chairs if _chair_fits(c, request.required_kind, features)), key=lambda c: (c.label, c.id)
    )
    scored: list[tuple[tuple, Candidate]] = []
    reports: list[DayReport] = []
    preferred_days = request.preferred_weekdays
    # Candidates with no preference mismatch on an earlier day beat anything later: stop once enough.
    perfect = 0
    day = request.date_from
    while day <= request.date_to:
        if perfect >= request.limit:
            break
        weekday_miss = int(day.weekday() not in preferred_days if preferred_days else False)
        found, reasons = _plan_day(pin, request, day, chairs, duration, sliver, tz)
        for candidate in found:
            local_start = candidate.start.astimezone(tz).time()
            is_morning = local_start < MORNING_ENDS
            want = request.preferred_time_of_day
            time_miss = int((want == "morning" and not is_morning) or (want == "afternoon" and is_morning))
            notes = []
            if want != "any" and not time_miss:
                notes.append(f"{want} as preferred")
            if preferred_days and not weekday_miss:
                notes.append("preferred weekday")
            reason = "; ".join([candidate.reason, *notes])
            candidate = Candidate(
                candidate.chair_id, candidate.chair_label, candidate.start, candidate.end, candidate.score, reason
            )
            scored.append((_sort_key(candidate, weekday_miss, time_miss, day), candidate))
            if not weekday_miss and not time_miss:
                perfect += 1
        reports.append(DayReport(day, len(found), tuple(reasons)))
        day += dt.timedelta(days=1)
    scored.sort(key=lambda item: item[0])
    return PlanResult(tuple(c for _, c in scored[: request.limit]), tuple(reports))


def _plan_day(pin, request, day, chairs, duration, sliver, tz) -> tuple[list[Candidate], list[Refusal]]:
    d = _day(pin, day, request.exclude_appointment_id)
    if not d.open:
        return [], [Refusal("closed", _message("closed"))]
    if d.closes - d.opens < duration:
        return [], [Refusal("too_long_for_day", _message("too_long_for_day"))]
    if not chairs:
        return [], [Refusal("no_chair_with_features", _message("no_chair_with_features"))]
    if reserve_holds(pin, d, request.chair_minutes):
        return [], [Refusal("addon_reserve", _message("addon_reserve"))]
    refused: Counter = Counter()
    candidates: list[Candidate] = []
    minutes_class = duration_class(d.rules, request.chair_minutes)
    # Only the room for longer infusions than this one is given up (see _best_chair_per_start), and
    # more readily once no long infusion at least as long is expected at all.
    expected = d.long_room_expected
    booked_classes = {
        m: LONG_ROOM_WEIGHT + NO_LONGER_EXPECTED_WEIGHT * (not any(n for k, n in expected.items() if k >= m))
        for m, n in expected.items()
        if m > minutes_class and not n
    }
    lookahead = _Lookahead(d, minutes_class) if d.template_slots else None
    best = _best_chair_per_start(d, chairs, duration, bool(request.required_kind), booked_classes, lookahead)
    considered = 0
    for index, start in enumerate(d.grid):
        end = start + duration
        if end > d.closes:
            break
        considered += 1
        if request.not_before is not None and start < request.not_before:
            refused["before_not_before"] += 1
            continue
        codes, fills_window = d.staffing(start, end)
        placement = best.get(index)
        if placement is None:
            codes = [*codes, "chairs_full"]
        if codes:
            for code in codes:
                refused[code] += 1
            continue
        assert placement is not None  # a missing placement added "chairs_full" above
        fit, chair, gap_start, gap_end, lost = placement
        before, after = start - gap_start, gap_end - end
        slivers = (timedelta_zero < before < sliver) + (timedelta_zero < after < sliver)
        score = fit + AT_CAP_WEIGHT * fills_window
        reason = _describe(d, start, slivers, before, after)
        if lookahead is not None:
            reason = f"{TEMPLATE_NOTES[lost > 0]}; {reason}"
        candidates.append(Candidate(chair.id, chair.label, start, end, score, reason))
    reasons = []
    if not candidates:
        if considered == 0:
            reasons.append(Refusal("too_long_for_day", _message("too_long_for_day")))
        for code, count in sorted(refused.items(), key=lambda kv: (-kv[1], kv[0])):
            reasons.append(Refusal(code, f"{_message(code)} ({count} of {considered} start times)"))
    return candidates, reasons


def _best_chair_per_start(
    d: _Day, chairs, duration, kind_required: bool, booked_classes: Mapping[int, float], lookahead: _Lookahead | None
) -> dict[int, tuple]:
    """For each grid index, the best-fitting free chair: (fit, chair, gap start, gap end, patients lost).

    Walks each chair's free gaps once instead of testing every chair at every start, in whole
    minutes counted from the opening (starts are on the grid). Chairs come in label order and only
    a strictly better fit replaces one, so ties go to the first label.

    With a template, ``lookahead`` counts the patients the template still expects that the free
    stretches would no longer hold (``LOOKAHEAD_WEIGHT`` each), and for each long duration class
    whose template starts are all booked (``booked_classes``: class minutes -> weight, see _plan_day)
    each infusion of it the placement's stretch no longer holds earns its weight, since a chair day kept
    free for a long infusion the template does not expect holds more patients as shorter ones. (The
    room the template still needs is the look-ahead's part.) ``RESTART_WEIGHT`` is charged for a start
    or an end in a window the chairs waiting to start there already fill (``_Day.restart_pressed``).
    """
    slot = d.rules.slot_minutes
    step = slot * 60
    chair_slots = -(-int(duration.total_seconds()) // step)  # grid steps from a start to the first start after it
    day_minutes = (d.closes - d.opens).total_seconds() / 60 + 1
    useful = -(-d.rules.min_useful_gap_minutes // slot) * slot
    pressed = d.restart_pressed
    best: dict[int, tuple] = {}
    # A stretch's fits depend only on its bounds and the chair's kind penalty: the same stretch on a
    # later chair (in label order) can never strictly beat the earlier one, so it is weighed once.
    # A full day's chairs share a few dozen distinct stretches.
    weighed: set[tuple[dt.datetime, dt.datetime, float]] = set()
    for chair in chairs:
        kind_penalty = SPARE_KIND_WEIGHT if not kind_required and chair.kind != "chair" else 0.0
        for gap_start, gap_end in d.free_gaps(chair.id):
            if gap_end - gap_start < duration:
                continue
            stretch = (gap_start, gap_end, kind_penalty)
            if stretch in weighed:
                continue
            weighed.add(stretch)
            first = -(-int((gap_start - d.opens).total_seconds()) // step)
            last = int((gap_end - duration - d.opens).total_seconds()) // step
            end_minute = int((gap_end - d.opens).total_seconds() // 60)
            whole = max(end_minute - first * slot, 0)  # the stretch's usable minutes, from its first grid start
            # Best fit: the tightest free stretch that holds the chair time, so long ones stay whole.
            tightness = TIGHT_WEIGHT * whole / day_minutes
            for index in range(first, last + 1):
                before = (index - first) * slot
                after = max(end_minute - (index + chair_slots) * slot, 0)
                lost = 0 if lookahead is None else lookahead.lost(gap_start, gap_end, index, index + chair_slots)
                room = LOOKAHEAD_WEIGHT * lost
                for minutes, weight in booked_classes.items():
                    given_up = whole // minutes - before // minutes - after // minutes
                    if given_up > 0:
                        room -= weight * given_up
                # A start that a chair waiting to start in its window needs, or a stretch left after it
                # that will wait for a start in a window whose starts are already all wanted.
                if before and pressed[index]:
                    room += RESTART_WEIGHT
                if after >= useful and index + chair_slots < len(pressed) and pressed[index + chair_slots]:
                    room += RESTART_WEIGHT
                # Snug: no grid start left free between it and a booking, a block, the opening or the
                # closing, on at least one side.
                fit = room + kind_penalty + NOT_SNUG_WEIGHT * (before > 0 and after > 0) + tightness
                current = best.get(index)
                if current is None or fit < current[0]:
                    best[index] = (fit, chair, gap_start, gap_end, lost)
    return best


class _Lookahead:
    """The patients the template still expects that a day's free stretches hold, before and after a placement.

    Free stretches are counted in whole grid steps from their first grid start (a chair time of
    ``minutes`` takes ``ceil(minutes / slot)`` steps, the next start is on the grid); the expected
    patients (:attr:`_Day.template_remaining`, less the request being placed) are laid in longest
    first, each in the tightest stretch that holds it (best-fit decreasing). Placements that leave
    the same stretches are computed once.
    """

    def __init__(self, d: _Day, minutes_class: int) -> None:
        self.opens = d.opens
        slot = d.rules.slot_minutes
        self.step = slot * 60
        remaining = d.template_remaining.copy()
        if remaining[minutes_class] > 0:
            remaining[minutes_class] -= 1
        # Longest first; a class is a whole number of grid steps (see duration_class).
        self.items = sorted((minutes // slot for minutes, n in remaining.items() for _ in range(n)), reverse=True)
        self.gaps = sorted(self.steps(begin, end) for chair in d.active_chair_ids for begin, end in d.free_gaps(chair))
        self.held = self.fill(self.gaps)
        self.memo: dict[tuple[int, int, int], int] = {}

    def grid_index(self, t: dt.datetime, *, up: bool) -> int:
        seconds = int((t - self.opens).total_seconds())
        return -(-seconds // self.step) if up else seconds // self.step

    def steps(self, begin: dt.datetime, end: dt.datetime) -> int:
        return max(self.grid_index(end, up=False) - self.grid_index(begin, up=True), 0)

    def fill(self, gaps: list[int]) -> int:
        """How many of the expected patients best-fit decreasing lays into stretches of these lengths."""
        gaps = list(gaps)
        held = 0
        for size in self.items:
            i = bisect.bisect_left(gaps, size)
            if i == len(gaps):
                continue
            left = gaps.pop(i) - size
            if left:
                bisect.insort(gaps, left)
            held += 1
        return held

    def lost(self, gap_start: dt.datetime, gap_end: dt.datetime, first: int, next_free: int) -> int:
        """Expected patients no longer held once grid steps ``first`` to ``next_free`` of the stretch are taken."""
        whole = self.steps(gap_start, gap_end)
        before = first - self.grid_index(gap_start, up=True)
        after = max(self.grid_index(gap_end, up=False) - next_free, 0)
        key = (whole, before, after)
        found = self.memo.get(key)
        if found is None:
            gaps = list(self.gaps)
            gaps.pop(bisect.bisect_left(gaps, whole))
            for part in (before, after):
                if part:
                    bisect.insort(gaps, part)
            found = self.memo[key] = self.held - self.fill(gaps)
        return found


def _describe(d: _Day, start: dt.datetime, slivers: int, before, after) -> str:
    window = d.window_of(start)
    capacity = d.rules.starts_per_nurse_per_window * d.window_nurses(window)
    used = d.window_starts[window] + 1
    if before == timedelta_zero and after == timedelta_zero:
        fit = "fills its gap on the chair exactly"
    elif before == timedelta_zero or after == timedelta_zero:
        fit = "sits snugly against a booking or the day's edge"
    elif slivers:
        fit = "leaves a short unusable gap"
    else:
        fit = "leaves usable gaps"
    return f"{fit}; {used} of {capacity} nurse starts in its {d.rules.start_window_minutes}-minute window"


def day_load(pin: PlannerInput, day: dt.date) -> list[SlotLoad]:
    """Nurses, patients watched and infusion starts for every grid slot of the day."""
    d = _day(pin, day, None)
    if not d.open:
        return []
    rules = pin.rules
    step = dt.timedelta(minutes=rules.slot_minutes)
    loads = []
    for start in d.grid:
        end = min(start + step, d.closes)
        segments = list(d._segments(start, end))
        nurses = min((d.seg_nurses[i] for i in segments), default=0)
        watched = max((d.seg_watched[i] for i in segments), default=0)
        window = d.window_of(start)
        loads.append(
            SlotLoad(
                start=start,
                end=end,
                nurses=nurses,
                watched=watched,
                watch_capacity=nurses * rules.patients_per_nurse,
                starts=d.window_starts[window],
                start_capacity=rules.starts_per_nurse_per_window * d.window_nurses(window),
            )
        )
    return loads


def template_compliance(pin: PlannerInput, day: dt.date) -> tuple[int, int]:
    """(bookings in a template slot, bookings) on the day: right start time and right duration class."""
    d = _day(pin, day, None)
    if not d.open:
        return 0, 0
    starting = [a for a in d.appointments if d.opens <= a.start < d.closes]
    if not d.template_slots:
        return 0, len(starting)
    wanted = sum(count for (start, _), count in _template_wanted(d).items())
    return wanted - sum(d.template_unfilled.values()), len(starting)


def _template_wanted(d: _Day) -> Counter:
    wanted: Counter = Counter()
    for slot in d.template_slots:
        start = dt.datetime.combine(d.day, slot.start, tzinfo=d.rules.tzinfo).astimezone(dt.UTC)
        if d.opens <= start and start + dt.timedelta(minutes=slot.minutes) <= d.closes:
            wanted[(start, slot.minutes)] += slot.count
    return wanted
