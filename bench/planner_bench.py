"""Slot planner benchmark: latency on a busy center, and packing quality against first-fit and CP-SAT.

    python3 dev.py bench                  # every benchmark
    .venv/bin/python -m bench.planner_bench [--quick]

Centers are generated with fixed seeds: *small* (12 chairs) and *large* (60
chairs + 8 beds), open Monday–Friday 08:00–18:00, nurses in two staggered
shifts (07:30–16:00 and 09:30–18:00, each alone watching three quarters of the chairs: the morning
and late afternoon are short-staffed, the usual start bottleneck), the
protocol mix of the demo center (DOMAIN.md protocols).

* **Latency**: the large center, staffed all day, booked to ~85 % of its
  chair time over a 28-day horizon; searches for 10 candidates over a 14-day range for a random
  protocol and dose, each on a fresh planner input (cold caches, as in a
  request). Median and p95.
* **Quality**: a month of single-day requests (each patient is due on one
  day), shuffled with a fixed seed, streamed through the planner (booking its
  top candidate) and through a naive first-fit (earliest start, first chair
  in label order). CP-SAT (OR-Tools, a dev dependency) solves each day offline
  for the same requests with a time limit: chairs and beds as cumulatives,
  watch capacity as a cumulative whose capacity follows the nurses on shift,
  starts per window as counted booleans; it maximises patients placed, then
  minimises the day's peak starts in a window. Two volumes: *high* demand
  (~105 % of chair time, where placement matters) and *equal* volume (~70 %,
  everything fits, so peaks are compared at equal volume).

Prints one table and writes it to ``bench/results/planner.txt``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time
from collections import Counter
from pathlib import Path

from scheduling import planner
from scheduling.protocol_library import PROTOCOL_MIX, PROTOCOLS

RESULTS = Path(__file__).resolve().parent / "results" / "planner.txt"
TZ = "America/New_York"
OPENS, CLOSES = dt.time(8), dt.time(18)
FIRST_MONDAY = dt.date(2027, 1, 4)
PROTOCOLS_BY_CODE = {p["code"]: p for p in PROTOCOLS}


def chair_minutes(code: str, dose: int) -> int:
    p = PROTOCOLS_BY_CODE[code]
    infusion = (
        p["first_dose_infusion_minutes"] if dose <= p.get("initial_dose_count", 1) else p["later_dose_infusion_minutes"]
    )
    return p.get("setup_minutes", 10) + p.get("premedication_minutes", 0) + infusion + p.get("observation_minutes", 0)


def needs(code: str) -> tuple[str | None, frozenset[str]]:
    p = PROTOCOLS_BY_CODE[code]
    return p.get("required_chair_kind") or None, frozenset(p.get("required_features", ()))


def working_days(count: int) -> list[dt.date]:
    days, day = [], FIRST_MONDAY
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def local(day: dt.date, t: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, t, tzinfo=planner.CenterRules(TZ).tzinfo)


def make_center(size: str, days: list[dt.date], *, all_day_staff: bool = False) -> planner.PlannerInput:
    chair_count, bed_count = (12, 0) if size == "small" else (60, 8)
    chairs = [
        planner.ChairInfo(i + 1, f"C{i + 1:02d}", "chair", frozenset({"recliner", "pump"})) for i in range(chair_count)
    ]
    chairs += [
        planner.ChairInfo(chair_count + i + 1, f"B{i + 1:02d}", "bed", frozenset({"pump"})) for i in range(bed_count)
    ]
    # Each shift alone covers three quarters of the chairs at four patients per nurse; both together, all.
    early = -(-(chair_count + bed_count) * 3 // 16)
    nurses = 2 * early
    if all_day_staff:  # enough nurses on shift all day to watch every chair
        early = nurses = -(-(chair_count + bed_count) // 4)
    shifts = []
    for day in days:
        for n in range(nurses):
            start, end = (dt.time(7, 30), dt.time(16)) if n < early else (dt.time(9, 30), dt.time(18))
            if all_day_staff:
                start, end = dt.time(7, 30), dt.time(18)
            shifts.append(planner.Shift(n + 1, local(day, start), local(day, end)))
    shortest = min(chair_minutes(code, dose) for code in PROTOCOLS_BY_CODE for dose in (1, 99))
    rules = planner.CenterRules(
        timezone=TZ,
        slot_minutes=15,
        opening_hours={d: (OPENS, CLOSES) for d in range(5)},
        min_useful_gap_minutes=shortest,
    )
    return planner.PlannerInput(rules, tuple(chairs), (), (), tuple(shifts))


def random_request(rng: random.Random) -> tuple[str, int]:
    code, _, doses = rng.choices(PROTOCOL_MIX, weights=[w for _, w, _ in PROTOCOL_MIX])[0]
    return code, rng.choice(doses)


def day_requests(rng: random.Random, center: planner.PlannerInput, share: float) -> list[tuple[str, int]]:
    capacity = len(center.chairs) * 600 * share
    requests, total = [], 0
    while total < capacity:
        code, dose = random_request(rng)
        requests.append((code, dose))
        total += chair_minutes(code, dose)
    return requests


def slot_request(day: dt.date, code: str, dose: int, limit: int = 1, date_to: dt.date | None = None):
    kind, features = needs(code)
    return planner.SlotRequest(
        chair_minutes=chair_minutes(code, dose),
        date_from=day,
        date_to=date_to or day,
        required_kind=kind,
        required_features=features,
        limit=limit,
    )


def only_day(center: planner.PlannerInput, day: dt.date) -> planner.PlannerInput:
    shifts = tuple(s for s in center.shifts if s.start.astimezone(center.rules.tzinfo).date() == day)
    return planner.PlannerInput(center.rules, center.chairs, (), (), shifts)


# --- Streaming through the planner and through first-fit -------------------------------------


def stream(center, days, requests, choose) -> tuple[dict[dt.date, planner.PlannerInput], int, dict]:
    """Book each request in turn where ``choose`` says; returns the days, the count and the starts chosen."""
    pins = {day: only_day(center, day) for day in days}
    placed = 0
    next_id = 1
    starts = {}
    for day, index, code, dose in requests:
        placement = choose(pins[day], day, code, dose)
        if placement is None:
            continue
        chair_id, start, end = placement
        pins[day] = pins[day].with_booking(planner.BookedSlot(next_id, chair_id, start, end))
        starts[(day, index)] = start
        next_id += 1
        placed += 1
    return pins, placed, starts


def choose_planner(pin, day, code, dose):
    result = planner.find_slots(pin, slot_request(day, code, dose))
    if not result.candidates:
        return None
    top = result.candidates[0]
    return top.chair_id, top.start, top.end


def choose_first_fit(pin, day, code, dose):
    kind, features = needs(code)
    minutes = chair_minutes(code, dose)
    start, closes = local(day, OPENS), local(day, CLOSES)
    chairs = sorted(pin.chairs, key=lambda c: c.label)
    while start + dt.timedelta(minutes=minutes) <= closes:
        for chair in chairs:
            ok = not planner.check_placement(
                pin,
                chair_id=chair.id,
                start=start,
                chair_minutes=minutes,
                required_kind=kind,
                required_features=features,
            )
            if ok:
                return chair.id, start, start + dt.timedelta(minutes=minutes)
        start += dt.timedelta(minutes=15)
    return None


def peak_starts(pins: dict[dt.date, planner.PlannerInput]) -> tuple[float, int]:
    """Mean over days of the day's busiest start window, and the month's busiest."""
    peaks = []
    for pin in pins.values():
        counts = Counter()
        for b in pin.booked:
            local_start = b.start.astimezone(pin.rules.tzinfo)
            counts[(local_start.hour * 60 + local_start.minute) // pin.rules.start_window_minutes] += 1
        peaks.append(max(counts.values(), default=0))
    return statistics.mean(peaks), max(peaks)


def over_cap(pins) -> int:
    """Placements that break a rule when re-checked against everything else booked that day."""
    broken = 0
    for pin in pins.values():
        for b in pin.booked:
            refusals = planner.check_placement(
                pin,
                chair_id=b.chair_id,
                start=b.start,
                chair_minutes=int((b.end - b.start).total_seconds() // 60),
                exclude_appointment_id=b.id,
            )
            broken += bool(refusals)
    return broken


# --- CP-SAT ----------------------------------------------------------------------------------


def cp_sat_day(center, day, requests, seconds: float, hint: dict[int, dt.datetime]) -> tuple[int, int]:
    """Best (patients placed, peak starts) CP-SAT finds for the day; the planner's own day is the hint."""
    from ortools.sat.python import cp_model

    pin = only_day(center, day)
    rules = pin.rules
    slot, window = rules.slot_minutes, rules.start_window_minutes
    open_min, close_min = OPENS.hour * 60 + OPENS.minute, CLOSES.hour * 60 + CLOSES.minute
    loads = planner.day_load(pin, day)
    nurses_at = {int((load.start - local(day, dt.time(0))).total_seconds() // 60): load.nurses for load in loads}
    max_nurses = max(nurses_at.values())
    model = cp_model.CpModel()
    present, intervals, bed_intervals, window_vars = [], [], [], []
    beds = sum(1 for c in pin.chairs if c.kind == "bed")
    for i, (code, dose) in enumerate(requests):
        minutes = chair_minutes(code, dose)
        last = (close_min - minutes - open_min) // slot
        if last < 0:
            continue
        p = model.NewBoolVar(f"p{i}")
        k = model.NewIntVar(0, last, f"k{i}")
        if i in hint:
            model.AddHint(p, 1)
            model.AddHint(k, int((hint[i] - local(day, OPENS)).total_seconds() // 60) // slot)
        else:
            model.AddHint(p, 0)
        start = model.NewIntVar(open_min, close_min, f"s{i}")
        model.Add(start == open_min + slot * k)
        interval = model.NewOptionalFixedSizeIntervalVar(start, minutes, p, f"iv{i}")
        intervals.append(interval)
        if needs(code)[0] == "bed":
            bed_intervals.append(interval)
        w = model.NewIntVar(open_min // window, close_min // window, f"w{i}")
        model.AddDivisionEquality(w, start, window)
        present.append(p)
        window_vars.append((p, w))
    model.AddCumulative(intervals, [1] * len(intervals), len(pin.chairs))
    if bed_intervals:
        model.AddCumulative(bed_intervals, [1] * len(bed_intervals), beds)
    # Watch capacity follows the nurses on shift: fixed intervals take away what absent nurses would watch.
    watch = list(intervals)
    demands = [1] * len(intervals)
    for minute, nurses in sorted(nurses_at.items()):
        if nurses < max_nurses:
            watch.append(model.NewIntervalVar(minute, slot, minute + slot, f"gap{minute}"))
            demands.append((max_nurses - nurses) * rules.patients_per_nurse)
    model.AddCumulative(watch, demands, max_nurses * rules.patients_per_nurse)
    peak = model.NewIntVar(0, len(requests), "peak")
    for w_index in range(open_min // window, close_min // window):
        begin = w_index * window
        capacity = rules.starts_per_nurse_per_window * min(
            nurses_at.get(m, 0) for m in range(max(begin, open_min), min(begin + window, close_min), slot)
        )
        members = []
        for p, w in window_vars:
            b = model.NewBoolVar("")
            model.Add(w == w_index).OnlyEnforceIf(b)
            model.Add(w != w_index).OnlyEnforceIf(b.Not())
            both = model.NewBoolVar("")
            model.AddBoolAnd([p, b]).OnlyEnforceIf(both)
            model.AddBoolOr([p.Not(), b.Not()]).OnlyEnforceIf(both.Not())
            members.append(both)
        model.Add(sum(members) <= capacity)
        model.Add(peak >= sum(members))
    model.Maximize(1000 * sum(present) - peak)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 7
    status = solver.Solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return 0, 0
    return sum(solver.Value(p) for p in present), solver.Value(peak)


# --- Runs --------------------------------------------------------------------------------------


def build_busy_large(rng: random.Random, horizon: list[dt.date]) -> tuple[planner.PlannerInput, float]:
    # Staffed all day, so that 85 % of the chair time can really be booked.
    center = make_center("large", horizon, all_day_staff=True)
    booked, used = [], 0
    next_id = 1
    for day in horizon:
        pin = only_day(center, day)
        target = len(center.chairs) * 600 * 0.85
        minutes_booked = 0
        misses = 0
        while minutes_booked < target and misses < 400:  # a full bed or window refuses some protocols, not all
            code, dose = random_request(rng)
            result = planner.find_slots(pin, slot_request(day, code, dose, limit=5))
            if not result.candidates:
                misses += 1
                continue
            pick = rng.choice(result.candidates)
            slot = planner.BookedSlot(next_id, pick.chair_id, pick.start, pick.end)
            next_id += 1
            pin = pin.with_booking(slot)
            booked.append(slot)
            minutes_booked += chair_minutes(code, dose)
        used += minutes_booked
    fill = used / (len(center.chairs) * 600 * len(horizon))
    return planner.PlannerInput(center.rules, center.chairs, tuple(booked), (), center.shifts), fill


def latency(rng: random.Random, busy: planner.PlannerInput, horizon: list[dt.date], runs: int) -> list[float]:
    times, cpu = [], []
    for _ in range(runs):
        code, dose = random_request(rng)
        first = rng.choice(horizon[:10])
        fresh = planner.PlannerInput(busy.rules, busy.chairs, busy.booked, busy.blocks, busy.shifts)
        request = slot_request(first, code, dose, limit=10, date_to=first + dt.timedelta(days=13))
        began, began_cpu = time.perf_counter(), time.process_time()
        planner.find_slots(fresh, request)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return times, cpu


def quality(size: str, share: float, days: list[dt.date], seconds: float, seed: int) -> dict:
    rng = random.Random(seed)
    center = make_center(size, days)
    per_day = {day: day_requests(rng, center, share) for day in days}
    requests = [(day, i, code, dose) for day, items in per_day.items() for i, (code, dose) in enumerate(items)]
    rng.shuffle(requests)
    planned, planned_count, planned_starts = stream(center, days, requests, choose_planner)
    first_fit, first_fit_count, _ = stream(center, days, requests, choose_first_fit)
    cp_placed = cp_peaks = 0
    cp_day_peaks = []
    for day in days:
        hint = {i: start for (d, i), start in planned_starts.items() if d == day}
        placed, peak = cp_sat_day(center, day, per_day[day], seconds, hint)
        cp_placed += placed
        cp_day_peaks.append(peak)
        cp_peaks = max(cp_peaks, peak)
    return {
        "requests": len(requests),
        "planner": (planned_count, *peak_starts(planned), over_cap(planned)),
        "first_fit": (first_fit_count, *peak_starts(first_fit), over_cap(first_fit)),
        "cp_sat": (cp_placed, statistics.mean(cp_day_peaks), cp_peaks, 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer days and shorter CP-SAT limits")
    parser.add_argument("--latency-only", action="store_true", help="skip the quality comparison")
    args = parser.parse_args()
    lines = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    horizon = working_days(20)  # 28 calendar days
    rng = random.Random(20261127)
    began = time.perf_counter()
    busy, fill = build_busy_large(rng, horizon)
    say(f"Slot planner benchmark ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)")
    say(
        f"Large center: {len(busy.chairs)} chairs/beds, {len(busy.booked)} appointments over 28 days, "
        f"{fill:.0%} of chair time booked (built in {time.perf_counter() - began:.1f} s)"
    )
    times, cpu = latency(rng, busy, horizon, 50 if args.quick else 300)
    median, p95 = statistics.median(times), statistics.quantiles(times, n=20)[-1]
    cpu_median, cpu_p95 = statistics.median(cpu), statistics.quantiles(cpu, n=20)[-1]
    say(
        f"Latency, 10 candidates over 14 days: median {median:.1f} ms, p95 {p95:.1f} ms wall; "
        f"median {cpu_median:.1f} ms, p95 {cpu_p95:.1f} ms CPU (target median <= 25 ms)"
    )
    if args.latency_only:
        return
    say()
    month = working_days(5 if args.quick else 20)
    seconds = 2.0 if args.quick else 10.0
    header = f"{'center':<7}{'volume':<8}{'method':<11}{'placed':>8}{'of':>6}{'ratio':>8}{'peak/day':>10}{'peak max':>10}{'over cap':>10}"
    say(f"Quality: {len(month)} working days, CP-SAT {seconds:.0f} s per day")
    say(header)
    say("-" * len(header))
    summary = []
    for size in ("small", "large"):
        for volume, share in (("high", 1.05), ("equal", 0.70)):
            days = month if size == "small" else month[:5]
            result = quality(size, share, days, seconds, seed=42)
            cp_count = result["cp_sat"][0] or 1
            for method in ("planner", "first_fit", "cp_sat"):
                placed, peak_mean, peak_max, broken = result[method]
                say(
                    f"{size:<7}{volume:<8}{method:<11}{placed:>8}{result['requests']:>6}"
                    f"{placed / cp_count:>8.3f}{peak_mean:>10.1f}{peak_max:>10}{broken:>10}"
                )
            summary.append((size, volume, result))
    say()
    for size, volume, result in summary:
        p, f, c = result["planner"], result["first_fit"], result["cp_sat"]
        say(
            f"{size}/{volume}: planner placed {p[0] / (c[0] or 1):.3f} of CP-SAT; "
            f"mean daily peak starts {p[1]:.1f} vs first-fit {f[1]:.1f} "
            f"({(1 - p[1] / f[1]) if f[1] else 0:.0%} lower); placements over a cap: {p[3]}"
        )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
