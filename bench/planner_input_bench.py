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
    from scheduling.models import Appointment
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
        query = (
            Appointment.objects.active()
            .filter(center=center, start__lt=hi + MARGIN, end__gt=lo - MARGIN)
            .values_list("pk", "chair_id", "start", "end")
        )
        plan = query.explain(analyze=True)
        say(f"Planner input benchmark ({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {load_average()})")
        say(f"Center: 68 chairs/beds, {booked} appointments over 28 days ({fill:.0%} of chair time booked)")
        say(
            f"planner_input_for over 14 days: {len(pin.booked)} bookings, {len(queries)} queries; "
            f"median {statistics.median(times):.1f} ms, p95 {statistics.quantiles(times, n=20)[-1]:.1f} ms "
            f"over {len(times)} runs (target median <= 15 ms); this process's CPU: median {statistics.median(cpu):.1f} ms"
        )
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
        say("EXPLAIN ANALYZE of the appointment query:")
        for line in plan.splitlines():
            say(f"  {line}")
        say(f"Load average at the end: {load_average()}")
    finally:
        connection.close()
        connection.creation.destroy_test_db(scratch, verbosity=0)
    RESULTS.write_text("\n".join(lines) + "\n")
    print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
