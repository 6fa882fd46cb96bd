"""Slot planner benchmark: latency on a busy center, and packing quality against first-fit and CP-SAT.

    python3 dev.py bench                  # every benchmark
    .venv/bin/python -m bench.planner_bench [--quick] [--quality-only | --latency-only] [--seeds N]
        [--first-seed K] [--with-previous]

Centers are generated with fixed seeds: *small* (12 chairs) and *large* (60
chairs + 8 beds), open Monday–Friday 08:00–18:00, nurses in two staggered
shifts (07:30–16:00 and 09:30–18:00, each alone watching three quarters of the chairs: the morning
and late afternoon are short-staffed, the usual start bottleneck), the
protocol mix of the demo center (DOMAIN.md protocols).

* **Latency**: the large center, staffed all day, booked to ~85 % of its
  chair time over a 28-day horizon; searches for 10 candidates over a 14-day range for a random
  protocol and dose, each on a fresh planner input (cold caches, as in a
  request). Median and p95, reported by outcome, apart: those that find 10 candidates and
  those that find none in 14 days (on a saturated center most find none, and they are the
  slower ones). The database load of the planner's input is ``bench/planner_input_bench.py``.
* **Quality** (issue 15): independent center-days with 12, 24 and 48 identical chairs, one nurse
  per four chairs all day (4 patients watched each, 1 start per nurse per 15-minute window),
  open 08:00–18:00, requests drawn from the protocol mix until the chair time asked for is the
  center's (*equal* load) or 1.2 times it (*120 %*), shuffled, several seeds. Each day is
  streamed through the template-guided planner (the template built by
  ``booking_templates.solver`` from the declared mix at that load: the same for every seed, and,
  limited by CP-SAT's deterministic time, the same in every run whatever the machine's load),
  today's ranking (no template) and first-fit (earliest start, first free chair). The reference
  is the best of CP-SAT cold and CP-SAT hinted with first-fit's and the template planner's
  placements; with identical chairs the count model of the template solver is an exact model of
  the day, so its bound is a proven bound on the patients that fit. ``--first-seed`` runs other
  instances (seeds from K on); ``--with-previous`` adds the template planner
  with the weights of ``PREVIOUS`` (the ranking before issue 15's quality terms) to the same run.

Prints one table and writes it to ``bench/results/planner.txt``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import statistics
import sys
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


# --- Quality: independent center-days -----------------------------------------------------------

SIZES = (12, 24, 48)
LOADS = (("equal", 1.0), ("120 %", 1.2))
DAY = FIRST_MONDAY
METHODS = ("template", "today", "first_fit")
# The template planner before the restart and no-longer-expected terms (same run, same template).
PREVIOUS = {"NO_LONGER_EXPECTED_WEIGHT": 0.0, "RESTART_WEIGHT": 0.0}


def quality_center(chairs: int, template: planner.Template | None = None) -> planner.PlannerInput:
    """One center-day: identical chairs, one nurse per four chairs all day, one start per nurse per 15 min."""
    rules = planner.CenterRules(
        timezone=TZ,
        slot_minutes=15,
        patients_per_nurse=4,
        starts_per_nurse_per_window=1,
        start_window_minutes=15,
        opening_hours={DAY.weekday(): (OPENS, CLOSES)},
        min_useful_gap_minutes=min(chair_minutes(code, dose) for code, _, doses in PROTOCOL_MIX for dose in doses),
    )
    seats = tuple(planner.ChairInfo(i + 1, f"C{i + 1:02d}") for i in range(chairs))
    shifts = tuple(planner.Shift(n + 1, local(DAY, OPENS), local(DAY, CLOSES)) for n in range(chairs // 4))
    return planner.PlannerInput(rules, seats, (), (), shifts, template)


def mix_demand(rules: planner.CenterRules, chairs: int, load: float) -> dict[int, float]:
    """Patients a day per duration class when the mix asks for ``load`` times the chair time."""
    shares: Counter = Counter()
    for code, weight, doses in PROTOCOL_MIX:
        for dose in doses:
            shares[chair_minutes(code, dose)] += weight / len(doses)
    total = sum(shares.values())
    mean = sum(m * w for m, w in shares.items()) / total
    patients = load * chairs * (CLOSES.hour - OPENS.hour) * 60 / mean
    demand: Counter = Counter()
    for minutes, weight in shares.items():
        demand[planner.duration_class(rules, minutes)] += patients * weight / total
    return dict(demand)


def day_capacity(pin: planner.PlannerInput):
    from booking_templates.solver import DayCapacity

    loads = planner.day_load(pin, DAY)
    return DayCapacity(
        open_minute=OPENS.hour * 60,
        close_minute=CLOSES.hour * 60,
        slot_minutes=pin.rules.slot_minutes,
        window_minutes=pin.rules.start_window_minutes,
        chairs=len(pin.chairs),
        watch_capacity=[load.watch_capacity for load in loads],
        start_capacity=[load.start_capacity for load in loads],
    )


def build_template(chairs: int, load: float, work: float) -> tuple[planner.Template, object]:
    """The template the builder makes from the declared mix (the same for every seed: not fitted to a day).

    ``work`` is CP-SAT's deterministic time, so the same run gives the same template on a busy machine.
    """
    from booking_templates.solver import solve_day_template

    pin = quality_center(chairs)
    solved = solve_day_template(day_capacity(pin), mix_demand(pin.rules, chairs, load), work=work, workers=1)
    slots = tuple(
        planner.TemplateSlot(dt.time(minute // 60, minute % 60), minutes, count)
        for minute, minutes, count in solved.slots
    )
    return planner.Template({DAY.weekday(): slots}), solved


def instance(chairs: int, load: float, seed: int) -> list[tuple[str, int]]:
    """The day's requests in arrival order: the mix until ``load`` times the chair time is asked for."""
    rng = random.Random(seed * 1000 + chairs)
    capacity = chairs * (CLOSES.hour - OPENS.hour) * 60 * load
    requests, total = [], 0
    while total < capacity:
        code, dose = random_request(rng)
        requests.append((code, dose))
        total += chair_minutes(code, dose)
    rng.shuffle(requests)
    return requests


def day_request(code: str, dose: int) -> planner.SlotRequest:
    # Identical chairs: the protocol's chair kind is not asked for.
    return planner.SlotRequest(chair_minutes=chair_minutes(code, dose), date_from=DAY, date_to=DAY, limit=1)


def choose_planner(pin, code, dose):
    result = planner.find_slots(pin, day_request(code, dose))
    if not result.candidates:
        return None
    top = result.candidates[0]
    return top.chair_id, top.start, top.end


@contextlib.contextmanager
def planner_weights(weights: dict[str, float]):
    saved = {name: getattr(planner, name) for name in weights}
    for name, value in weights.items():
        setattr(planner, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(planner, name, value)


def choose_previous(pin, code, dose):
    with planner_weights(PREVIOUS):
        return choose_planner(pin, code, dose)


def choose_first_fit(pin, code, dose):
    """Booking by hand in time order: the earliest start, on the first free chair in label order."""
    minutes = dt.timedelta(minutes=chair_minutes(code, dose))
    start, closes = local(DAY, OPENS), local(DAY, CLOSES)
    chairs = sorted(pin.chairs, key=lambda c: c.label)
    while start + minutes <= closes:
        end = start + minutes
        taken = {b.chair_id for b in pin.booked if b.start < end and start < b.end}
        free = next((c for c in chairs if c.id not in taken), None)
        # The nurse caps do not depend on the chair: one check on the first free chair decides the start.
        if free is not None and not planner.check_placement(
            pin, chair_id=free.id, start=start, chair_minutes=int(minutes.total_seconds() // 60)
        ):
            return free.id, start, end
        start += dt.timedelta(minutes=15)
    return None


def stream(pin: planner.PlannerInput, requests, choose) -> planner.PlannerInput:
    for n, (code, dose) in enumerate(requests):
        placement = choose(pin, code, dose)
        if placement is not None:
            pin = pin.with_booking(planner.BookedSlot(n + 1, *placement))
    return pin


def windows_at_cap(pin: planner.PlannerInput) -> int:
    return sum(1 for load in planner.day_load(pin, DAY)[::1] if load.starts and load.starts >= load.start_capacity)


def over_cap(pin: planner.PlannerInput) -> int:
    """Placements that break a rule when re-checked against everything else booked that day."""
    return sum(
        bool(
            planner.check_placement(
                pin,
                chair_id=b.chair_id,
                start=b.start,
                chair_minutes=int((b.end - b.start).total_seconds() // 60),
                exclude_appointment_id=b.id,
            )
        )
        for b in pin.booked
    )


def plan_counts(pin: planner.PlannerInput) -> dict[tuple[int, int], int]:
    """A day's bookings as template counts: (start minute, duration class) -> patients."""
    counts: Counter = Counter()
    tz = pin.rules.tzinfo
    for b in pin.booked:
        local_start = b.start.astimezone(tz)
        minutes = int((b.end - b.start).total_seconds() // 60)
        counts[(local_start.hour * 60 + local_start.minute, planner.duration_class(pin.rules, minutes))] += 1
    return dict(counts)


def reference(chairs: int, requests, hints, work: float) -> tuple[int, int]:
    """Best patients placed (and the proven bound) of CP-SAT cold and hinted with each method's plan.

    The model is the template model with the day's actual requests as demand: with identical chairs
    counts of starts per (time, duration class) are an exact model of the day (see booking_templates.solver).
    """
    from booking_templates.solver import solve_day_template

    pin = quality_center(chairs)
    demand: Counter = Counter(planner.duration_class(pin.rules, chair_minutes(c, d)) for c, d in requests)
    best, bound = 0, len(requests)
    for hint in (None, *hints):
        solved = solve_day_template(day_capacity(pin), demand, work=work, workers=1, patients_only=True, hint=hint)
        if solved is not None:
            best, bound = max(best, solved.patients), min(bound, int(solved.bound))
    return best, bound


def quality(seeds: int, work: float, template_work: float, say, first_seed: int = 1, previous: bool = False) -> bool:
    header = (
        f"{'chairs':>6} {'load':<6} {'method':<10}{'placed/best':>12}{'min':>7}{'vs FF':>7}"
        f"{'at cap':>8}{'of FF':>7}{'over cap':>9}"
    )
    methods = (*METHODS, "previous") if previous else METHODS
    say(
        f"Quality: {len(SIZES)} sizes x {len(LOADS)} loads x {seeds} seeds "
        f"({first_seed}-{first_seed + seeds - 1}), one center-day each; "
        f"reference = best of CP-SAT cold / hinted with first-fit / hinted with the template planner "
        f"({work:.0f} deterministic s each, 1 worker); template: {template_work:.0f} deterministic s, 1 worker"
    )
    say(header)
    say("-" * len(header))
    ok = True
    for chairs in SIZES:
        for load_name, load in LOADS:
            template, solved = build_template(chairs, load, template_work)
            rows = {m: [] for m in methods}
            refs = []
            for seed in range(first_seed, first_seed + seeds):
                requests = instance(chairs, load, seed)
                plans = {
                    "template": stream(quality_center(chairs, template), requests, choose_planner),
                    "today": stream(quality_center(chairs), requests, choose_planner),
                    "first_fit": stream(quality_center(chairs), requests, choose_first_fit),
                }
                if previous:
                    plans["previous"] = stream(quality_center(chairs, template), requests, choose_previous)
                best, bound = reference(
                    chairs, requests, [plan_counts(plans["first_fit"]), plan_counts(plans["template"])], work
                )
                best = max(best, *(len(p.booked) for p in plans.values()))
                refs.append((best, bound, len(requests)))
                for method, pin in plans.items():
                    rows[method].append((len(pin.booked) / best, windows_at_cap(pin), over_cap(pin)))
            ff_ratio = statistics.mean(r[0] for r in rows["first_fit"])
            ff_cap = statistics.mean(r[1] for r in rows["first_fit"]) or 1
            for method in methods:
                ratio = statistics.mean(r[0] for r in rows[method])
                at_cap = statistics.mean(r[1] for r in rows[method])
                broken = sum(r[2] for r in rows[method])
                say(
                    f"{chairs:>6} {load_name:<6} {method:<10}{ratio:>12.3f}{min(r[0] for r in rows[method]):>7.3f}"
                    f"{ratio - ff_ratio:>+7.3f}{at_cap:>8.1f}{at_cap / ff_cap:>7.0%}{broken:>9}"
                )
            t = rows["template"]
            target = 0.98 if load == 1.0 else 0.96
            ratio = statistics.mean(r[0] for r in t)
            at_cap = statistics.mean(r[1] for r in t)
            passed = ratio >= target and ratio >= ff_ratio and at_cap <= 0.25 * ff_cap and not sum(r[2] for r in t)
            ok &= passed
            gap = statistics.mean((b - best) / best for best, b, _ in refs)
            capped = "" if solved.is_reproducible else ", stopped by the wall-clock cap: may differ next run"
            say(
                f"{'':>6} {'':<6} {'reference':<10} best {statistics.mean(r[0] for r in refs):.1f} of "
                f"{statistics.mean(r[2] for r in refs):.1f} requests, proven bound +{gap:.1%}; "
                f"template {solved.patients} starts ({solved.status}{capped}); "
                f"target >= {target} and >= first-fit, at cap <= 25 % of FF, 0 over cap: "
                f"{'met' if passed else 'NOT met'}"
            )
    return ok


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


def latency(rng: random.Random, busy: planner.PlannerInput, horizon: list[dt.date], runs: int) -> dict:
    """Wall-clock milliseconds of searches, kept apart by outcome: 10 candidates found, or none in 14 days."""
    times: dict[str, list[float]] = {"found 10": [], "found none": [], "found 1-9": []}
    attempts = 0
    while (len(times["found 10"]) < runs or len(times["found none"]) < runs) and attempts < 20 * runs:
        attempts += 1
        code, dose = random_request(rng)
        first = rng.choice(horizon[:10])
        fresh = planner.PlannerInput(busy.rules, busy.chairs, busy.booked, busy.blocks, busy.shifts)
        request = slot_request(first, code, dose, limit=10, date_to=first + dt.timedelta(days=13))
        began = time.perf_counter()
        found = len(planner.find_slots(fresh, request).candidates)
        elapsed = (time.perf_counter() - began) * 1000
        times["found 10" if found == 10 else "found none" if not found else "found 1-9"].append(elapsed)
    return times


def describe_times(times: list[float]) -> str:
    if len(times) < 2:
        return f"{len(times)} searches"
    return (
        f"{len(times)} searches, median {statistics.median(times):.1f} ms, "
        f"p95 {statistics.quantiles(times, n=20)[-1]:.1f} ms"
    )


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="2 seeds, 2 deterministic s CP-SAT limits, fewer searches (~1 min)"
    )
    parser.add_argument("--latency-only", action="store_true", help="skip the quality comparison")
    parser.add_argument("--quality-only", action="store_true", help="skip the latency figures")
    parser.add_argument("--seeds", type=int, help="instances per size and load (default 4, quick 2)")
    parser.add_argument("--first-seed", type=int, default=1, help="seed of the first instance (default 1)")
    parser.add_argument(
        "--with-previous", action="store_true", help="also the template planner with the PREVIOUS weights"
    )
    args = parser.parse_args()
    lines = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"Slot planner benchmark ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load_average()})")
    say(f"Command: .venv/bin/python -m bench.planner_bench {' '.join(sys.argv[1:])}".rstrip())
    if not args.quality_only:
        horizon = working_days(20)  # 28 calendar days
        rng = random.Random(20261127)
        began = time.perf_counter()
        busy, fill = build_busy_large(rng, horizon)
        say(
            f"Large center: {len(busy.chairs)} chairs/beds, {len(busy.booked)} appointments over 28 days, "
            f"{fill:.0%} of chair time booked (built in {time.perf_counter() - began:.1f} s)"
        )
        times = latency(rng, busy, horizon, 30 if args.quick else 150)
        say("Latency of one search over 14 days (fresh planner input each time, planner only):")
        for outcome, values in times.items():
            say(f"  {outcome:<11} {describe_times(values)}")
        say("  (the planner input's database load: python manage.py shell -c 'import bench.planner_input_bench')")
    if not args.latency_only:
        say()
        seeds = args.seeds or (2 if args.quick else 4)
        work = 2.0 if args.quick else 3.0
        began = time.perf_counter()
        met = quality(seeds, work, 2.0 if args.quick else 5.0, say, args.first_seed, args.with_previous)
        say(f"Quality targets {'all met' if met else 'NOT all met'} ({time.perf_counter() - began:.0f} s)")
    say(f"Load average at the end: {load_average()}")
    # A partial run writes its own file, so it never overwrites the figures of the other half.
    results = RESULTS
    if args.quality_only or args.latency_only:
        results = RESULTS.with_name(f"planner_{'quality' if args.quality_only else 'latency'}.txt")
    if args.first_seed != 1 and not args.latency_only:  # other instances: their own file, beside the tuned ones
        last = args.first_seed + (args.seeds or (2 if args.quick else 4)) - 1
        results = results.with_name(f"{results.stem}_seeds{args.first_seed}-{last}.txt")
    results.parent.mkdir(exist_ok=True)
    results.write_text("\n".join(lines) + "\n")
    print(f"written to {results}")


if __name__ == "__main__":
    main()
