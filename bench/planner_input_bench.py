"""Planner input benchmark: the database load every availability request pays (``planner_input_for``).

    .venv/bin/python -m bench.planner_input_bench [--repeat 50]

Builds a scratch database (dropped afterwards) holding the planner benchmark's large center
(60 chairs + 8 beds, ~84 % of its chair time booked over 28 days, nurses all day, a few chair
blocks), then times ``planner_input_for`` over a 14-day range, in process, and prints the
EXPLAIN of its appointment query. Writes ``bench/results/planner_input.txt``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from pathlib import Path

import django

RESULTS = Path(__file__).resolve().parent / "results" / "planner_input.txt"


def _explain(*, center, lo, hi) -> str:
    """EXPLAIN ANALYZE of the planner input's one query (bookings, blocks and shifts of the range)."""
    from django.db import connection

    from scheduling.models import BLOCKING_STATUSES
    from scheduling.planner_input import _SCHEDULE_SQL

    params = {"center": center.pk, "lo": lo, "hi": hi, "shifts_lo": lo, "shifts_hi": hi}
    params["active"] = [status.value for status in BLOCKING_STATUSES]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + _SCHEDULE_SQL, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def build():
    from django.contrib.auth.models import User

    from bench import planner_bench
    from chairs.models import Center, Chair, ChairBlock, NurseShift, OpeningHours
    from patients.models import Patient
    from scheduling.models import Appointment, Protocol
    from scheduling.protocol_library import seed_protocols

    seed_protocols()
    horizon = planner_bench.working_days(20)
    busy, fill = planner_bench.build_busy_large(random.Random(20261127), horizon)
    center = Center.objects.create(name="Benchmark Infusion Center", timezone=planner_bench.TZ)
    for weekday in range(5):
        OpeningHours.objects.create(
            center=center, weekday=weekday, opens=planner_bench.OPENS, closes=planner_bench.CLOSES
        )
    chairs = Chair.objects.bulk_create(
        [Chair(center=center, label=c.label, kind=c.kind, features=sorted(c.features)) for c in busy.chairs]
    )
    chair_of = {c.id: chair.pk for c, chair in zip(busy.chairs, chairs, strict=True)}
    nurses = {}
    for shift in busy.shifts:
        if shift.nurse_id not in nurses:
            nurses[shift.nurse_id] = User.objects.create_user(f"bench.nurse{shift.nurse_id}")
    NurseShift.objects.bulk_create(
        [NurseShift(center=center, nurse=nurses[s.nurse_id], start=s.start, end=s.end) for s in busy.shifts]
    )
    patients = Patient.objects.bulk_create(
        [
            Patient(
                center=center,
                mrn=f"BENCH{n:05d}",
                first_name=f"First{n}",
                last_name=f"Last{n}",
                date_of_birth=dt.date(1960, 1, 1),
            )
            for n in range(500)
        ]
    )
    protocol = Protocol.objects.first()
    Appointment.objects.bulk_create(
        [
            Appointment(
                center=center,
                patient=patients[n % len(patients)],
                protocol=protocol,
                chair_id=chair_of[b.chair_id],
                start=b.start,
                end=b.end,
                dose_number=3,
                status="booked",
            )
            for n, b in enumerate(busy.booked)
        ],
        batch_size=2000,
    )
    tz = center.tzinfo
    for n, day in enumerate(horizon[::4]):
        start = dt.datetime.combine(day, dt.time(8), tzinfo=tz)
        ChairBlock.objects.create(chair=chairs[n], start=start, end=start + dt.timedelta(hours=3), reason="Maintenance")
    return center, horizon, len(busy.booked), fill


def build_scaled(*, chairs: int, days: int, tag: str):
    """A center of ``chairs`` chairs with about four fifths of ``days`` weekdays' chair time booked
    (two-hour bookings with a free half hour now and then) and one nurse per four chairs all day."""
    from django.contrib.auth.models import User

    from bench import planner_bench
    from chairs.models import Center, Chair, NurseShift, OpeningHours
    from patients.models import Patient
    from scheduling.models import Appointment, Protocol

    center = Center.objects.create(name=f"Scaled {tag}", timezone=planner_bench.TZ)
    OpeningHours.objects.bulk_create(
        OpeningHours(center=center, weekday=w, opens=dt.time(7), closes=dt.time(19)) for w in range(5)
    )
    made = Chair.objects.bulk_create([Chair(center=center, label=f"{tag}{n:03d}") for n in range(chairs)])
    nurses = [User.objects.create_user(f"scaled.{tag}.{n}") for n in range(max(1, chairs // 4))]
    horizon = planner_bench.working_days(days * 5 // 7 + 1)[: max(1, days * 5 // 7)]
    tz = center.tzinfo
    NurseShift.objects.bulk_create(
        NurseShift(
            center=center,
            nurse=nurse,
            start=dt.datetime.combine(day, dt.time(7), tzinfo=tz),
            end=dt.datetime.combine(day, dt.time(19), tzinfo=tz),
        )
        for day in horizon
        for nurse in nurses
    )
    patient = Patient.objects.create(
        center=center, mrn=f"S{tag}", first_name="S", last_name="S", date_of_birth=dt.date(1960, 1, 1)
    )
    protocol = Protocol.objects.first()
    rng = random.Random(chairs * 1000 + days)
    rows = []
    for day in horizon:
        for chair in made:
            moment = dt.datetime.combine(day, dt.time(7), tzinfo=tz)
            closes = dt.datetime.combine(day, dt.time(19), tzinfo=tz)
            while moment + dt.timedelta(hours=2) <= closes:
                if rng.random() < 0.8:
                    rows.append(
                        Appointment(
                            center=center,
                            patient=patient,
                            protocol=protocol,
                            chair=chair,
                            start=moment,
                            end=moment + dt.timedelta(hours=2),
                            dose_number=3,
                            status="booked",
                        )
                    )
                moment += dt.timedelta(hours=2, minutes=30 if rng.random() < 0.3 else 0)
    Appointment.objects.bulk_create(rows, batch_size=5000)
    return center, protocol, horizon, len(rows)


def availability_scaling(say, repeat: int) -> None:
    """Availability (the slot search every page and API call uses) at 12 chairs x 7 days and at 200 chairs
    x 90 days: median time of ``find_candidates`` (response cache missed on purpose), and the ratio; and
    the 200-chair search from its last day, with every other booking before it (a center's history)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from scheduling.models import Appointment
    from scheduling.slot_search import find_candidates

    def timed(center, protocol, first: dt.date, days: int):
        """Median wall and CPU ms of searching ``days`` days from ``first``, queries and the last answer."""
        times, cpu = [], []
        base = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(12), tzinfo=dt.UTC)
        for n in range(repeat + 1):
            began, began_cpu = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as queries:
                result = find_candidates(
                    center=center,
                    protocol=protocol,
                    dose_number=3,
                    date_from=first,
                    date_to=first + dt.timedelta(days=days - 1),
                    limit=10,
                    now=base + dt.timedelta(minutes=n),  # a new minute: never the cached answer
                )
            if n:  # the first fills the center's fixed input
                times.append((time.perf_counter() - began) * 1000)
                cpu.append((time.process_time() - began_cpu) * 1000)
        return statistics.median(times), statistics.median(cpu), len(queries), result

    figures, cpu_figures = {}, {}
    for chairs, days in ((12, 7), (200, 90)):
        center, protocol, horizon, booked = build_scaled(chairs=chairs, days=days, tag=f"c{chairs}d{days}")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        wall, cpu, queries, result = timed(center, protocol, horizon[0], days)
        figures[(chairs, days)], cpu_figures[(chairs, days)] = wall, cpu
        say(
            f"availability {chairs:>3} chairs x {days:>2} days ({booked:>6} bookings): median "
            f"{wall:6.1f} ms (this process's CPU {cpu:5.1f} ms) over {repeat} runs, {queries} queries, "
            f"{len(result.candidates)} candidates, {len(result.days)} days examined"
        )
    # The same search from the 200-chair center's last booked day: every other booking lies before it,
    # as a center's history does. The day's input must not read them.
    last_wall, _, queries, result = timed(center, protocol, horizon[-1], 1)
    midnight = dt.datetime.combine(horizon[-1], dt.time(0), tzinfo=center.tzinfo)
    before = Appointment.objects.filter(center=center, start__lt=midnight).count()
    say(
        f"availability 200 chairs, its last booked day ({before} bookings before it): median {last_wall:6.1f} ms, "
        f"{queries} queries, {len(result.candidates)} candidates; / its first day: {last_wall / wall:.2f}x"
    )
    ratio = figures[(200, 90)] / figures[(12, 7)]
    cpu_ratio = cpu_figures[(200, 90)] / cpu_figures[(12, 7)]
    say(
        f"availability cost 200 chairs x 90 days / 12 chairs x 7 days: {ratio:.2f}x (target <= 3x); "
        f"CPU {cpu_ratio:.2f}x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--profile", action="store_true", help="print a profile of one call")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")
    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from bench.planner_bench import load_average
    from chairs.selectors import day_bounds
    from scheduling.planner_input import MARGIN, planner_input_for

    setup_test_environment()
    scratch = f"bench_input_{connection.settings_dict['NAME']}"[:63]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = scratch
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    lines = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    try:
        center, horizon, booked, fill = build()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        rng = random.Random(5)
        times, cpu = [], []
        for _ in range(args.repeat):
            first = rng.choice(horizon[:10])
            began, began_cpu = time.perf_counter(), time.process_time()
            with CaptureQueriesContext(connection) as queries:
                pin = planner_input_for(center=center, date_from=first, date_to=first + dt.timedelta(days=13))
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
        lo, hi = day_bounds(center=center, day=horizon[0], last_day=horizon[0] + dt.timedelta(days=13))
        plan = _explain(center=center, lo=lo - MARGIN, hi=hi + MARGIN)
        say(f"Planner input benchmark ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load_average()})")
        say(f"Center: 68 chairs/beds, {booked} appointments over 28 days ({fill:.0%} of chair time booked)")
        say(
            f"planner_input_for over 14 days: {len(pin.booked)} bookings, {len(queries)} queries; "
            f"median {statistics.median(times):.1f} ms, p95 {statistics.quantiles(times, n=20)[-1]:.1f} ms "
            f"over {len(times)} runs (target median <= 15 ms); this process's CPU: median {statistics.median(cpu):.1f} ms"
        )
        say(f"  figure / target: {statistics.median(times) / 15:.2f} (<= 1 meets it)")
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
            planner_input_for(center=center, date_from=horizon[0], date_to=horizon[0] + dt.timedelta(days=13))
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
        say("Its queries (last run; database time as Django saw it, ms):")
        for q in queries.captured_queries:
            say(f"  {float(q['time']) * 1000:7.1f}  {q['sql'][:110]}")
        say("EXPLAIN ANALYZE of its one query (bookings, chair blocks and shifts of the range):")
        for line in plan.splitlines():
            say(f"  {line}")
        availability_scaling(say, repeat=max(10, args.repeat))
        say(f"Load average at the end: {load_average()}")
    finally:
        connection.close()
        connection.creation.destroy_test_db(scratch, verbosity=0)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
