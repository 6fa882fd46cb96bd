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


def measure(client, url: str, *, repeat: int, headers: dict | None = None) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    queries = 0
    size = 0
    for attempt in range(repeat + 2):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url, headers=headers or {})
            elapsed = time.perf_counter() - began
        assert response.status_code == 200, response.status_code
        if attempt >= 2:  # two warm-ups: template loading, first connection
            timings.append(elapsed * 1000)
        queries = len(captured)
        size = len(response.content)
    return timings, queries, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
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
    try:
        center, nurse = build()
        client = Client()
        client.force_login(nurse)
        url = f"/board/?center={center.pk}&date={DAY.isoformat()}"
        page = measure(client, url, repeat=args.repeat)
        poll = measure(client, url, repeat=args.repeat, headers={"HX-Request": "true", "HX-Target": "board-live"})
    finally:
        connection.close()
        connection.creation.destroy_test_db(scratch, verbosity=0)

    def row(label: str, result: tuple[list[float], int, int]) -> str:
        timings, queries, size = result
        p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) >= 2 else timings[0]
        return (
            f"{label:<28} {statistics.median(timings):>9.1f} {p95:>9.1f} {min(timings):>9.1f} "
            f"{queries:>8} {size / 1024:>8.0f}"
        )

    lines = [
        f"Chair board: {CHAIRS} chairs + {BEDS} beds, {APPOINTMENTS} appointments (+10 cancelled), 4 nurses, one day.",
        f"Server time in process (Django test client, PostgreSQL), {args.repeat} requests each after 2 warm-ups;",
        f"2-core machine shared with other jobs (load average {os.getloadavg()[0]:.1f} at the end).",
        "",
        f"{'request':<28} {'median ms':>9} {'p95 ms':>9} {'min ms':>9} {'queries':>8} {'KiB':>8}",
        row("full page", page),
        row("htmx refresh (every 20 s)", poll),
        "",
        "Against the targets (issue 14: <= 12 queries, <= 40 ms median), figure / target (<= 1 meets it):",
        *(
            f"  {label:<26} queries {result[1]}/12 = {result[1] / 12:.2f}; "
            f"median {statistics.median(result[0]):.1f}/40 ms = {statistics.median(result[0]) / 40:.2f}"
            for label, result in (("full page", page), ("htmx refresh", poll))
        ),
        "(the median is server time on a shared 2-core machine: compare it at the load average above)",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
