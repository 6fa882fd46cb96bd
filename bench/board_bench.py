"""Chair board benchmark: server time and SQL queries for a large center's busy day.

    python3 dev.py bench                  # every benchmark
    .venv/bin/python -m bench.board_bench [--repeat 30]

Builds a scratch database (dropped afterwards) with one center of 60 chairs
and 8 beds, four nurses on shift, 300 appointments on one day in every board
state (booked, arrived, in chair, infusing, observation, discharged), a few
cancellations and chair blocks. Then a signed-in nurse asks for the board
through Django's test client, in process: the figure is the server's time to
answer the request (middleware, queries, planner day load, readiness, template
rendering), not network or browser time. Both the full page and the htmx
refresh the board polls with are measured, with their SQL query counts.

Prints one table and writes it to ``bench/results/board.txt``.
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

RESULTS = Path(__file__).resolve().parent / "results" / "board.txt"
DAY = dt.date(2027, 1, 4)  # a Monday
CHAIRS, BEDS, APPOINTMENTS = 60, 8, 300


def build():
    """The center, its nurse and 300 appointments on DAY (bulk inserts: this is set-up, not measured)."""
    from django.contrib.auth.models import Group, User

    from chairs.models import Center, Chair, ChairBlock, NurseShift, OpeningHours
    from patients.models import Patient
    from scheduling.models import Appointment, Protocol
    from scheduling.protocol_library import seed_protocols

    seed_protocols()
    center = Center.objects.create(name="Benchmark Infusion Center", timezone="America/New_York")
    for weekday in range(5):
        OpeningHours.objects.create(center=center, weekday=weekday, opens=dt.time(7), closes=dt.time(19))
    chairs = Chair.objects.bulk_create(
        [Chair(center=center, label=f"C{n:02d}", kind="chair", features=["recliner", "pump"]) for n in range(CHAIRS)]
        + [Chair(center=center, label=f"B{n}", kind="bed", features=["pump"]) for n in range(BEDS)]
    )
    nurse = User.objects.create_user("bench.nurse", password="bench-password-123")
    nurse.groups.add(Group.objects.get(name="nurse"))
    center.staff.add(nurse)
    tz = center.tzinfo
    for n in range(4):
        colleague = User.objects.create_user(f"bench.nurse{n}")
        NurseShift.objects.create(
            center=center,
            nurse=colleague,
            start=dt.datetime.combine(DAY, dt.time(7), tzinfo=tz),
            end=dt.datetime.combine(DAY, dt.time(19), tzinfo=tz),
        )
    patients = Patient.objects.bulk_create(
        [
            Patient(
                center=center,
                mrn=f"BENCH{n:05d}",
                first_name=f"First{n}",
                last_name=f"Last{n}",
                date_of_birth=dt.date(1960, 1, 1) + dt.timedelta(days=n),
            )
            for n in range(APPOINTMENTS + 20)
        ]
    )
    protocols = list(Protocol.objects.all())
    rng = random.Random(4)
    states = [("booked", "")] * 6 + [
        ("arrived", ""),
        ("checked-in", "in_chair"),
        ("checked-in", "infusing"),
        ("checked-in", "observation"),
        ("fulfilled", ""),
    ]
    rows = []
    opens = dt.datetime.combine(DAY, dt.time(7), tzinfo=tz)
    closes = dt.datetime.combine(DAY, dt.time(19), tzinfo=tz)
    chair_index, cursor = 0, {chair.pk: opens for chair in chairs}
    while len(rows) < APPOINTMENTS:
        chair = chairs[chair_index % len(chairs)]
        chair_index += 1
        length = dt.timedelta(minutes=rng.choice([45, 60, 90, 120, 150]))
        start = cursor[chair.pk] + dt.timedelta(minutes=15 * rng.randrange(0, 2))
        if start + length > closes:
            continue
        cursor[chair.pk] = start + length
        status, stage = rng.choice(states)
        rows.append(
            Appointment(
                center=center,
                patient=patients[len(rows)],
                protocol=rng.choice(protocols),
                chair=chair,
                start=start,
                end=start + length,
                dose_number=rng.randint(1, 8),
                status=status,
                chair_stage=stage,
            )
        )
    for n in range(10):  # cancelled ones are counted, not drawn
        rows.append(
            Appointment(
                center=center,
                patient=patients[APPOINTMENTS + n],
                protocol=protocols[0],
                chair=chairs[n],
                start=opens,
                end=opens + dt.timedelta(hours=1),
                status="cancelled",
            )
        )
    Appointment.objects.bulk_create(rows)
    for chair in chairs[-3:]:
        ChairBlock.objects.create(chair=chair, start=opens, end=opens + dt.timedelta(hours=2), reason="Maintenance")
    return center, nurse


def measure(client, url: str, *, repeat: int, headers: dict | None = None, before_each=None) -> dict:
    """Server time (wall) and this process's CPU time per request, its SQL queries and its size.

    ``before_each`` runs (untimed) before every request: a write, so that the request cannot be
    answered from the cache.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, cpu = [], []
    queries = 0
    size = 0
    for attempt in range(repeat + 2):
        if before_each:
            before_each()
        with CaptureQueriesContext(connection) as captured:
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, headers=headers or {})
            elapsed, elapsed_cpu = time.perf_counter() - began, time.process_time() - began_cpu
        assert response.status_code == 200, response.status_code
        if attempt >= 2:  # two warm-ups: template loading, first connection
            timings.append(elapsed * 1000)
            cpu.append(elapsed_cpu * 1000)
        queries = len(captured)
        size = len(response.content)
    return {"timings": timings, "cpu": cpu, "queries": queries, "size": size}


def a_write(center):
    """What a nurse does on the floor: one appointment of the day changes its chair stage (a save)."""
    from scheduling.models import Appointment

    appointment = Appointment.objects.filter(center=center, status="checked-in").order_by("pk").first()
    appointment.chair_stage = "observation" if appointment.chair_stage == "infusing" else "infusing"
    appointment.save(update_fields=["chair_stage", "updated_at"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--results", default=str(RESULTS), help="where to write the table")
    parser.add_argument("--label", default="this branch", help="what code is measured (for the table)")
    parser.add_argument("--append", default="", help="a table of an earlier run to print below (e.g. main's)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    scratch = f"bench_board_{connection.settings_dict['NAME']}"[:63]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = scratch
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    load_before = os.getloadavg()
    try:
        center, nurse = build()
        client = Client()
        client.force_login(nurse)
        url = f"/board/?center={center.pk}&date={DAY.isoformat()}"
        poll = {"HX-Request": "true", "HX-Target": "board-live"}
        results = [
            ("full page", measure(client, url, repeat=args.repeat)),
            ("htmx refresh (every 20 s)", measure(client, url, repeat=args.repeat, headers=poll)),
            ("full page after a write", measure(client, url, repeat=args.repeat, before_each=lambda: a_write(center))),
            (
                "htmx refresh after a write",
                measure(client, url, repeat=args.repeat, headers=poll, before_each=lambda: a_write(center)),
            ),
        ]
    finally:
        connection.close()
        connection.creation.destroy_test_db(scratch, verbosity=0)
    load_after = os.getloadavg()

    def row(label: str, r: dict) -> str:
        timings = r["timings"]
        p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) >= 2 else timings[0]
        return (
            f"{label:<28} {statistics.median(timings):>9.1f} {p95:>9.1f} {statistics.median(r['cpu']):>8.1f} "
            f"{r['queries']:>8} {r['size'] / 1024:>6.0f}"
        )

    lines = [
        f"Chair board ({args.label}): {CHAIRS} chairs + {BEDS} beds, {APPOINTMENTS} appointments (+10 cancelled), "
        "4 nurses, one day.",
        f"Server time in process (Django test client, PostgreSQL, Redis cache), {args.repeat} requests each after 2 "
        "warm-ups;",
        "'after a write': one appointment of the day changes its chair stage before each request (untimed), so",
        "the cached board cannot answer. CPU = this process's CPU time per request (steadier than wall time).",
        "Load average (1, 5, 15 min) before and after: "
        + " | ".join(", ".join(f"{v:.1f}" for v in load) for load in (load_before, load_after))
        + f" on {os.cpu_count()} cores.",
        "",
        f"{'request':<28} {'median ms':>9} {'p95 ms':>9} {'CPU ms':>8} {'queries':>8} {'KiB':>6}",
        *(row(label, r) for label, r in results),
        "",
        "Against the targets (issue 14: <= 12 queries, <= 40 ms median), figure / target (<= 1 meets it):",
        *(
            f"  {label:<26} queries {r['queries']}/12 = {r['queries'] / 12:.2f}; "
            f"median {statistics.median(r['timings']):.1f}/40 ms = {statistics.median(r['timings']) / 40:.2f}"
            for label, r in results
        ),
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with: .venv/bin/python -m bench.board_bench",
    ]
    text = "\n".join(lines) + "\n"
    if args.append:
        text += "\n" + Path(args.append).read_text()
    print(text)
    Path(args.results).parent.mkdir(exist_ok=True)
    Path(args.results).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
