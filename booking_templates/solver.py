"""Solve a day's booking template with OR-Tools CP-SAT (pure: no Django, no clock, no I/O).

The model follows the leveled templates of Mayo and LeanTaaS iQueue. For one weekday the
center's grid (``open_minute``, ``open_minute + slot``, … before ``close_minute``, in local
minutes since midnight) gets an integer number of starts of each duration class at each
grid time, such that

* at every grid slot the chairs in use (starts whose chair time covers the slot) ≤ the
  chairs, and ≤ the patients the nurses on shift may watch;
* the starts in each start window ≤ the window's start capacity;
* the starts of a class over the day ≤ the class's demand (the patients a typical day asks for).

Identical chairs make counts enough: intervals that never exceed ``chairs`` at once can always
be laid on ``chairs`` chairs (interval graphs are perfect), so a template that fits by counts
is a real chair plan.

It maximises the patients placed, then the chair time used, then keeps windows below their
start cap (a window at its cap is where a late nurse or an add-on has no room). With no
solution inside the time limit it returns None, and the caller keeps the previous template.

The same input gives the same template: the search is limited by CP-SAT's *deterministic* time
(``work``, a count of the solver's own work in roughly seconds of one idle core, the same at any
load for one OR-Tools version), with a fixed random seed and a fixed number of workers (one by
default; several interleave their search deterministically, which is slower). A limit on
wall-clock time alone stops the search
wherever a busy machine has got to, so the template (and everything planned with it) changed run
to run. ``seconds`` stays as a wall-clock safety cap so that a nightly build cannot hang on a
starved machine; a solve it stops is marked ``is_reproducible=False`` (it may differ next time).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MINUTE_WEIGHT = 10
AT_CAP_WEIGHT = 1
# Deterministic seconds of search: enough for every template of the planner benchmark to settle.
DEFAULT_WORK = 5.0
# Wall-clock safety cap: DEFAULT_WORK took 6-10 s of wall clock at load average 2 on 2 cores.
DEFAULT_SECONDS = 60.0


@dataclass(frozen=True)
class DayCapacity:
    """The capacity a template has to respect on one weekday."""

    open_minute: int
    close_minute: int
    slot_minutes: int
    window_minutes: int
    chairs: int
    # Per grid slot (same order as the grid): patients the nurses on shift may watch.
    watch_capacity: Sequence[int]
    # Per grid slot: starts allowed in the start window holding it (the window's capacity).
    start_capacity: Sequence[int]

    @property
    def grid(self) -> list[int]:
        return list(range(self.open_minute, self.close_minute, self.slot_minutes))


@dataclass(frozen=True)
class SolvedTemplate:
    # (start minute of the local day, duration class in minutes, count)
    slots: tuple[tuple[int, int, int], ...]
    patients: int
    status: str  # OPTIMAL or FEASIBLE
    bound: float
    # False when the wall-clock cap, not the deterministic limit, stopped the search.
    is_reproducible: bool = True


def solve_day_template(
    capacity: DayCapacity,
    demand: Mapping[int, float],
    *,
    work: float = DEFAULT_WORK,
    seconds: float = DEFAULT_SECONDS,
    workers: int = 1,
    seed: int = 7,
    patients_only: bool = False,
    hint: Mapping[tuple[int, int], int] | None = None,
) -> SolvedTemplate | None:
    """The best template CP-SAT finds within ``work`` deterministic seconds for ``demand`` (class minutes ->
    patients a day); ``seconds`` caps the wall-clock time.

    ``patients_only`` drops the secondary terms (the benchmark's reference packing, whose bound is then
    a bound on patients); ``hint`` is a known plan, (start minute, class) -> count, to start from.
    """
    from ortools.sat.python import cp_model

    grid = capacity.grid
    slot = capacity.slot_minutes
    model = cp_model.CpModel()
    starts: dict[tuple[int, int], cp_model.IntVar] = {}
    for minutes, wanted in sorted(demand.items()):
        upper = math.ceil(wanted)
        if upper <= 0:
            continue
        for index, minute in enumerate(grid):
            if minute + minutes > capacity.close_minute:
                break
            top = min(upper, capacity.start_capacity[index])
            if top > 0:
                starts[(index, minutes)] = model.new_int_var(0, top, f"x{index}_{minutes}")
    if not starts:
        return SolvedTemplate((), 0, "OPTIMAL", 0.0)
    for minutes, wanted in demand.items():
        members = [v for (_, m), v in starts.items() if m == minutes]
        if members:
            model.add(sum(members) <= math.ceil(wanted))
    for index in range(len(grid)):
        covering = [v for (i, m), v in starts.items() if i <= index < i + -(-m // slot)]
        if covering:
            model.add(sum(covering) <= min(capacity.chairs, capacity.watch_capacity[index]))
    penalties = []
    for window_index, indexes in _windows(capacity).items():
        in_window = [v for (i, _), v in starts.items() if i in indexes]
        if not in_window:
            continue
        cap = capacity.start_capacity[indexes[0]]
        model.add(sum(in_window) <= cap)
        at_cap = model.new_bool_var(f"cap{window_index}")
        model.add(sum(in_window) <= cap - 1 + at_cap)
        penalties.append(at_cap)
    # Lexicographic: one more patient outweighs any chair time and every window at its cap.
    patient_weight = (
        MINUTE_WEIGHT * capacity.chairs * (capacity.close_minute - capacity.open_minute) + len(penalties) + 1
    )
    if patients_only:
        patient_weight = 1
        model.maximize(sum(starts.values()))
    else:
        model.maximize(
            patient_weight * sum(starts.values())
            + MINUTE_WEIGHT * sum(m * v for (_, m), v in starts.items())
            - AT_CAP_WEIGHT * sum(penalties)
        )
    if hint:
        for (index, minutes), v in starts.items():
            model.add_hint(v, hint.get((grid[index], minutes), 0))
    solver = cp_model.CpSolver()
    _make_deterministic(solver.parameters, work=work, seconds=seconds, workers=workers, seed=seed)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    slots = tuple(
        (grid[index], minutes, solver.value(v)) for (index, minutes), v in sorted(starts.items()) if solver.value(v)
    )
    return SolvedTemplate(
        slots=slots,
        patients=sum(count for _, _, count in slots),
        status=solver.status_name(status),
        # The objective's bound as a bound on patients (the secondary terms are worth less than one).
        bound=math.floor((solver.best_objective_bound + len(penalties) * (not patients_only)) / patient_weight),
        # Ended by a proof or by the deterministic limit, not by the wall clock.
        is_reproducible=status == cp_model.OPTIMAL or solver.deterministic_time >= work,
    )


def _make_deterministic(parameters, *, work: float, seconds: float, workers: int, seed: int) -> None:
    """Search limits that depend on the input only, with the wall clock as a safety cap."""
    parameters.max_deterministic_time = work
    parameters.max_time_in_seconds = seconds
    parameters.num_workers = workers
    parameters.random_seed = seed
    # Parallel workers race (who finds what first depends on the machine's load); interleaved, they
    # take deterministic turns.
    parameters.interleave_search = workers > 1


def _windows(capacity: DayCapacity) -> dict[int, list[int]]:
    """Grid indexes by start window (windows counted from local midnight, as the planner does)."""
    windows: dict[int, list[int]] = {}
    for index, minute in enumerate(capacity.grid):
        windows.setdefault(minute // capacity.window_minutes, []).append(index)
    return windows
