"""REST API benchmark: booking and availability against gunicorn, as ratios to a floor in the same run.

    .venv/bin/python -m bench.api_bench [--clients 50] [--availability 1000] [--bookings 600] [--quick]
    .venv/bin/python -m bench.api_bench --processes 1,2,4      # throughput with 1, 2 and 4 gunicorn processes

Needs PostgreSQL (``DATABASE_URL`` or the project-local one). It creates a scratch database
``bench_api_<name>`` (dropped at the end) with one busy center: Monday–Friday 07:00–19:00, 24 chairs
and 4 beds, 8 nurses on shift every weekday, the protocol library and 3,000 patients. First, in
process, it counts the SQL queries of one booking and one availability request (caches warm, as in a
running server). It then starts gunicorn (``--workers`` gthread workers with 4 threads each,
persistent database connections) and drives it with ``--clients`` client threads, each with its own
keep-alive session and API token:

* **floor**: ``GET /api/v1/chairs/<id>/``, a one-row token-authenticated DRF read through the same
  gunicorn: what the framework itself costs; every other figure is also given as a ratio to it;
* **availability, cold**: ``GET /api/v1/availability/`` for a random protocol and dose over 14 days
  starting on a random day of the next four weeks, 10 candidates (mostly cache misses);
* **availability, cached**: the same for 12 fixed queries asked again and again (cache hits);
* **booking** (the availability + booking cycle): each client asks availability for one random day, picks one of the first three
  candidates at random and ``POST /api/v1/appointments/``s it. Clients race for the same slots, so
  some bookings are refused with 409 (``chair_taken``, nurse capacity): that is part of the measure.
  Only the POST is timed. Every 5xx is counted and fails the run; afterwards the database is checked
  for double-booked chairs and for nurse start capacity exceeded in any window;
* **booking at 5 clients**: the same with 5 clients (one center's realistic peak), for its p95;
* **POST alone** (50 and 5 clients): before the run (not timed) availability is asked for every protocol
  over many days and a pool of free slots kept (one booking per chair time, a few starts per half hour);
  clients then only ``POST /api/v1/appointments/`` slots drawn from the pool, so the server answers
  nothing but bookings (a slot taken meanwhile is refused with 409, as in the cycle). The cycle above
  (availability + booking) is kept: it is how a front desk books, and the README's earlier figures are its.

``--processes 1,2,4`` instead runs floor, cold availability and booking once per number of gunicorn
processes (1 gthread worker each) against the same database, to show how the app scales out.

Prints one table and writes it to ``bench/results/api.txt`` (``api_scaling.txt`` for ``--processes``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import django

from infusion_center.localdb import url_for as database_url

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "api.txt"
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SEED = 7
CHAIRS, BEDS, NURSES, PATIENTS = 24, 4, 8, 3000
HORIZON_DAYS = 42
SHIFT_DAYS_BEYOND = 14  # nurse shifts run this much past the horizon the cycles book in


def fill() -> tuple[int, list[int], list[tuple[int, int]], str]:
    """The bench center; returns its id, protocol ids, (patient, ordered protocol) pairs and an API token."""
    from django.contrib.auth.models import Group, User
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from chairs.models import Center, Chair, NurseShift, OpeningHours
    from chairs.roles import NURSE
    from patients.models import Patient
    from scheduling.models import Protocol
    from scheduling.protocol_library import seed_protocols
    from treatment.models import AuthorizationStatus, Order, PriorAuthorization

    center = Center.objects.create(name="API Bench Infusion Center", timezone="America/New_York")
    OpeningHours.objects.bulk_create(
        OpeningHours(center=center, weekday=d, opens=dt.time(7), closes=dt.time(19)) for d in range(5)
    )
    Chair.objects.bulk_create(
        [Chair(center=center, label=f"C{i:02d}", features=["recliner", "pump"]) for i in range(1, CHAIRS + 1)]
        + [
            Chair(center=center, label=f"B{i}", kind="bed", features=["pump", "near_station"])
            for i in range(1, BEDS + 1)
        ]
    )
    seed_protocols()
    nurse_group = Group.objects.get(name=NURSE)
    nurses = []
    for n in range(NURSES):
        user = User.objects.create_user(f"bench.nurse{n}", password=None, first_name="Bench", last_name=f"Nurse{n}")
        user.groups.add(nurse_group)
        center.staff.add(user)
        nurses.append(user)
    today = timezone.localdate(timezone=center.tzinfo)
    shifts = []
    for offset in range(HORIZON_DAYS + SHIFT_DAYS_BEYOND):
        day = today + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for n, nurse in enumerate(nurses):
            # Staggered: half start at 07:00, half at 09:00; every shift lasts 10 hours.
            begins = dt.datetime.combine(day, dt.time(7 if n % 2 == 0 else 9), tzinfo=center.tzinfo)
            shifts.append(NurseShift(center=center, nurse=nurse, start=begins, end=begins + dt.timedelta(hours=10)))
    NurseShift.objects.bulk_create(shifts)
    patients = Patient.objects.bulk_create(
        [
            Patient(
                center=center,
                mrn=f"APIB{i:06d}",
                first_name="Pat",
                last_name=f"Bench{i}",
                date_of_birth=dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
            )
            for i in range(PATIENTS)
        ],
        batch_size=1000,
    )
    # Booking checks the dose's readiness: every patient has an order and an approved authorization
    # for one protocol (one without prerequisite documents, so that readiness never refuses).
    protocols = list(
        Protocol.objects.filter(is_active=True)
        .exclude(prerequisites__is_active=True)
        .order_by("code")
        .values_list("pk", flat=True)
    )
    orders = Order.objects.bulk_create(
        [
            Order(
                patient=patient,
                protocol_id=protocols[i % len(protocols)],
                ordering_provider="Dr. Bench",
                start_date=today - dt.timedelta(days=30),
                valid_until=today + dt.timedelta(days=365),
                created_by=nurses[0],
            )
            for i, patient in enumerate(patients)
        ],
        batch_size=1000,
    )
    PriorAuthorization.objects.bulk_create(
        [
            PriorAuthorization(
                patient_id=order.patient_id,
                order=order,
                payer="Bench Health",
                status=AuthorizationStatus.APPROVED,
                approved_from=today - dt.timedelta(days=30),
                approved_until=today + dt.timedelta(days=365),
                created_by=nurses[0],
            )
            for order in orders
        ],
        batch_size=1000,
    )
    token = Token.objects.create(user=nurses[0]).key
    plan = [(order.patient_id, order.protocol_id) for order in orders]
    return center.pk, protocols, plan, token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "CONN_MAX_AGE": "300",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [
            GUNICORN,
            "infusion_center.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--backlog",
            "256",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_up(base: str, timeout: float = 60) -> None:
    import requests

    began = time.monotonic()
    while time.monotonic() - began < timeout:
        try:
            if requests.get(f"{base}/health/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not start; see .local/bench-api-gunicorn.log")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


class Load:
    """``clients`` threads, each with its own session, sharing a counter of remaining requests."""

    def __init__(self, base: str, token: str, clients: int) -> None:
        import requests

        self.base, self.clients = base, clients
        self.local = threading.local()
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        self.requests = requests

    def session(self):
        if not hasattr(self.local, "session"):
            self.local.session = self.requests.Session()
            self.local.session.headers.update(self.headers)
        return self.local.session

    def run(self, total: int, one) -> tuple[list[float], Counter, float]:
        latencies: list[float] = []
        statuses: Counter = Counter()
        lock = threading.Lock()
        remaining = iter(range(total))

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            while True:
                with lock:
                    if next(remaining, None) is None:
                        return
                try:
                    result = one(self.session(), rng)
                except self.requests.RequestException as error:  # an overloaded machine: count it, go on
                    result = (0.0, f"client error {error.__class__.__name__}")
                    self.local.__dict__.pop("session", None)
                if result is None:
                    continue
                seconds, status = result
                with lock:
                    latencies.append(seconds)
                    statuses[status] += 1

        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=self.clients) as pool:
            list(pool.map(worker, [SEED * 1000 + n for n in range(self.clients)]))
        return latencies, statuses, time.monotonic() - began


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        v = values[0] if values else 0.0
        return v, v, v
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return statistics.median(values), cuts[94], cuts[98]


def check_database(center_id: int) -> tuple[int, int]:
    """Double-booked chairs and start windows over the nurses' cap, counted from the rows."""
    from django.db import connection

    from chairs.models import Center
    from scheduling import planner
    from scheduling.models import Appointment
    from scheduling.planner_input import planner_input_for

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
               ON a.chair_id = b.chair_id AND a.id < b.id AND a.start < b."end" AND b.start < a."end"
               WHERE a.center_id = %s AND a.status IN ('pending','booked','arrived','checked-in','fulfilled')
               AND b.status IN ('pending','booked','arrived','checked-in','fulfilled')""",
            [center_id],
        )
        double_booked = cursor.fetchone()[0]
    center = Center.objects.get(pk=center_id)
    days = sorted({a.start.astimezone(center.tzinfo).date() for a in Appointment.objects.filter(center=center)})
    over = 0
    if days:
        pin = planner_input_for(center=center, date_from=days[0], date_to=days[-1])
        for day in days:
            over += sum(1 for slot in planner.day_load(pin, day) if slot.starts > slot.start_capacity)
            over += sum(1 for slot in planner.day_load(pin, day) if slot.watched > slot.watch_capacity)
    return double_booked, over


def count_queries(center_id: int, plan: list[tuple[int, int]], token: str) -> dict[str, int]:
    """SQL queries of one booking and one availability request, in process, caches warm."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    today = timezone.localdate()
    counts = {}
    for label, days in (("availability (14 days)", 14), ("availability (90 days)", 90)):
        for attempt in range(2):  # the first fills the process's caches
            day = today + dt.timedelta(days=3 + attempt)
            params = {"center": center_id, "protocol": plan[0][1], "dose_number": 3, "limit": 10}
            params |= {"date_from": day.isoformat(), "date_to": (day + dt.timedelta(days=days - 1)).isoformat()}
            with CaptureQueriesContext(connection) as queries:
                response = client.get("/api/v1/availability/", params)
            assert response.status_code == 200, response.content
        counts[label] = len(queries)
    for attempt, (patient, protocol) in enumerate(plan[-2:]):
        day = today + dt.timedelta(days=7 + 7 * attempt)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        found = client.get(
            "/api/v1/availability/",
            {"center": center_id, "protocol": protocol, "dose_number": 1, "date_from": day, "date_to": day, "limit": 1},
        ).json()["candidates"]
        body = {"patient": patient, "protocol": protocol, "chair": found[0]["chair"], "start": found[0]["start"]}
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/api/v1/appointments/", body, content_type="application/json")
        assert response.status_code == 201, response.content
    counts["booking"] = len(queries)
    return counts


def cpu_per_request(center_id: int, plan: list[tuple[int, int]], token: str, chair_id: int) -> dict[str, float]:
    """Median CPU milliseconds of this process per request, in process (Django test client, caches warm):
    robust on a loaded machine, where throughput mostly measures the other jobs. PostgreSQL's own CPU
    is not included."""
    from django.test import Client
    from django.utils import timezone

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    today = timezone.localdate()
    protocols = sorted({protocol for _, protocol in plan})

    def timed(call) -> float:
        began = time.process_time()
        response = call()
        assert response.status_code in (200, 201, 409), response.content
        return (time.process_time() - began) * 1000

    def availability(protocol: int, dose: int, day: dt.date, days: int = 14):
        params = {"center": center_id, "protocol": protocol, "dose_number": dose, "limit": 10}
        params |= {"date_from": day.isoformat(), "date_to": (day + dt.timedelta(days=days - 1)).isoformat()}
        return lambda: client.get("/api/v1/availability/", params)

    figures: dict[str, list[float]] = {"floor": [], "availability, cold": [], "availability, cached": []}
    figures["booking"] = []
    for _ in range(40):
        figures["floor"].append(timed(lambda: client.get(f"/api/v1/chairs/{chair_id}/")))
    for n in range(40):
        day = today + dt.timedelta(days=1 + n % 28)
        figures["availability, cold"].append(timed(availability(protocols[n % len(protocols)], 1 + n // 28, day)))
    cached = availability(protocols[0], 2, today + dt.timedelta(days=2))
    cached()
    for _ in range(40):
        figures["availability, cached"].append(timed(cached))
    for n, (patient, protocol) in enumerate(plan[-40:-2]):
        day = today + dt.timedelta(days=1 + n % 30)
        found = client.get(
            "/api/v1/availability/",
            {"center": center_id, "protocol": protocol, "dose_number": 1, "date_from": day, "date_to": day, "limit": 1},
        ).json()["candidates"]
        if found:
            body = {"patient": patient, "protocol": protocol, "chair": found[0]["chair"], "start": found[0]["start"]}
            figures["booking"].append(
                timed(lambda b=body: client.post("/api/v1/appointments/", b, content_type="application/json"))
            )
    return {name: statistics.median(values) for name, values in figures.items() if values}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--availability", type=int, default=1000, help="availability requests")
    parser.add_argument("--bookings", type=int, default=600, help="booking requests")
    parser.add_argument("--floor", type=int, default=1000, help="one-row GET requests")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn gthread workers (4 threads each)")
    parser.add_argument("--processes", default="", help="e.g. 1,2,4: the scaling run instead")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: a free one)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the requests")
    args = parser.parse_args()
    if args.quick:
        args.availability, args.bookings = max(50, args.availability // 10), max(50, args.bookings // 10)
        args.floor = max(100, args.floor // 10)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")
    django.setup()
    from django.db import connection
    from django.utils import timezone

    from bench.planner_bench import load_average

    scratch = f"bench_api_{connection.settings_dict['NAME']}"[:63]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = scratch
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    url = database_url(connection.settings_dict, scratch)
    logs = ROOT / ".local"
    logs.mkdir(exist_ok=True)
    center_id, protocols, plan, token = fill()
    from chairs.models import Chair

    chair_id = Chair.objects.filter(center_id=center_id).values_list("pk", flat=True).first()
    queries = count_queries(center_id, plan, token) if not args.processes else {}
    cpu = cpu_per_request(center_id, plan, token, chair_id) if not args.processes else {}
    connection.close()
    today = timezone.localdate()
    patient_pool = list(plan[:-40])  # the last 40 are booked in process, before the load
    random.Random(SEED).shuffle(patient_pool)
    patient_lock = threading.Lock()
    cached_queries = [
        (protocols[n % len(protocols)], 1 + n % 4, today + dt.timedelta(days=1 + n % 3)) for n in range(12)
    ]

    def floor(session, rng):
        began = time.perf_counter()
        response = session.get(f"{base}/api/v1/chairs/{chair_id}/")
        return time.perf_counter() - began, response.status_code

    def availability_of(session, protocol, dose, day):
        params = {"center": center_id, "protocol": protocol, "dose_number": dose, "limit": 10}
        params |= {"date_from": day.isoformat(), "date_to": (day + dt.timedelta(days=13)).isoformat()}
        began = time.perf_counter()
        response = session.get(f"{base}/api/v1/availability/", params=params)
        return time.perf_counter() - began, response.status_code

    def availability(session, rng):
        day = today + dt.timedelta(days=rng.randrange(1, 29))
        return availability_of(session, rng.choice(protocols), rng.randint(1, 4), day)

    def availability_cached(session, rng):
        return availability_of(session, *rng.choice(cached_queries))

    def timed_booking(session, body):
        """POST one booking: its time and its status (a 409 with its code: who refused, and why)."""
        began = time.perf_counter()
        response = session.post(f"{base}/api/v1/appointments/", json=body)
        seconds = time.perf_counter() - began
        if response.status_code == 409:
            return seconds, f"409 {response.json().get('code', '?')}"
        return seconds, response.status_code

    def book(session, rng):
        day = today + dt.timedelta(days=rng.randrange(1, HORIZON_DAYS))
        with patient_lock:
            patient, protocol = patient_pool.pop() if patient_pool else rng.choice(plan)
        dose = rng.randint(1, 4)
        found = session.get(
            f"{base}/api/v1/availability/",
            params={
                "center": center_id,
                "protocol": protocol,
                "dose_number": dose,
                "date_from": day,
                "date_to": day,
                "limit": 3,
            },  # fmt: skip
        )
        candidates = found.json().get("candidates", []) if found.status_code == 200 else []
        if not candidates:
            return None
        slot = rng.choice(candidates)
        body = {"patient": patient, "protocol": protocol, "chair": slot["chair"], "start": slot["start"],
                "dose_number": dose}  # fmt: skip
        return timed_booking(session, body)

    slot_pool: dict[int, list[dict]] = {}  # protocol -> free slots, for the POST-alone scenario
    slot_lock = threading.Lock()

    def fill_slot_pool(wanted: int) -> None:
        """Before a POST-alone run (not timed): free slots from availability answers over many days, for
        every protocol, at most one booking per chair time and a few starts per half hour, so the pool's
        own slots rarely refuse one another (taken ones are still refused with 409, as in the cycle)."""
        import requests

        session = requests.Session()
        session.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})
        slot_pool.clear()
        # Out to the nurse shifts' end: the cycles before have nearly filled the first HORIZON_DAYS.
        days = [today + dt.timedelta(days=n) for n in range(1, HORIZON_DAYS + SHIFT_DAYS_BEYOND)]
        days = [day for day in days if day.weekday() < 5]
        # As many slots of each protocol as the patients about to be drawn (from the end of the pool, or
        # at random from the plan once it is empty) ask for, and half as many again: an even share ran
        # dry for the protocols most patients have (about 250 of 600 requests were sent).
        coming = patient_pool[-wanted:]
        demand = Counter(protocol for _, protocol in coming)
        if len(coming) < wanted:
            spread = Counter(protocol for _, protocol in plan)
            for protocol, count in spread.items():
                demand[protocol] += -(-count * (wanted - len(coming)) // len(plan))
        per_protocol = {protocol: demand[protocol] * 3 // 2 + 2 for protocol in protocols}
        taken: dict[tuple[str, int], list[tuple[dt.datetime, dt.datetime]]] = {}  # (day, chair) -> times
        starts: Counter = Counter()  # (day, half hour) -> starts in the pool
        rng = random.Random(SEED)
        found: dict[int, list[dict]] = {protocol: [] for protocol in protocols}
        # Day by day, every protocol that still needs slots asks in turn, the neediest first: the chair
        # times and starts per half hour are shared (protocol by protocol, the last one got none).
        for day in days:
            for protocol in sorted(protocols, key=lambda p: len(found[p]) / per_protocol[p]):  # neediest first
                if len(found[protocol]) >= per_protocol[protocol]:
                    continue
                dose = rng.randint(1, 4)
                answer = session.get(
                    f"{base}/api/v1/availability/",
                    params={"center": center_id, "protocol": protocol, "dose_number": dose, "date_from": day,
                            "date_to": day, "limit": 100},
                )  # fmt: skip
                for slot in answer.json().get("candidates", []) if answer.status_code == 200 else []:
                    if len(found[protocol]) >= per_protocol[protocol]:
                        break
                    begins, ends = dt.datetime.fromisoformat(slot["start"]), dt.datetime.fromisoformat(slot["end"])
                    chair_times = taken.setdefault((str(day), slot["chair"]), [])
                    window = (str(day), begins.hour * 2 + begins.minute // 30)
                    if starts[window] >= 3 or any(b < ends and begins < e for b, e in chair_times):
                        continue
                    chair_times.append((begins, ends))
                    starts[window] += 1
                    found[protocol].append({"chair": slot["chair"], "start": slot["start"], "dose_number": dose})
        for protocol, slots in found.items():
            rng.shuffle(slots)
            slot_pool[protocol] = slots

    def post_alone(session, rng):
        with patient_lock:
            patient, protocol = patient_pool.pop() if patient_pool else rng.choice(plan)
        with slot_lock:
            slots = slot_pool.get(protocol)
            slot = slots.pop() if slots else None
        if slot is None:
            return None
        body = {"patient": patient, "protocol": protocol, **slot}
        return timed_booking(session, body)

    def run_server(workers: int, scenarios: list[tuple[str, int, int, object]]) -> dict:
        nonlocal base
        port = args.port or free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_gunicorn(url, port, workers, logs / "bench-api-gunicorn.log")
        try:
            wait_until_up(base)
            Load(base, token, args.clients).run(100, floor)  # warm-up: imports, connections, caches
            Load(base, token, args.clients).run(50, availability)
            found = {}
            for name, clients, total, one in scenarios:
                if one is post_alone:
                    fill_slot_pool(total)
                found[name] = Load(base, token, clients).run(total, one)
            return found
        finally:
            stop(server)

    base = ""
    loads = [load_average()]
    if args.processes:
        counts = [int(n) for n in args.processes.split(",")]
        results = {}
        for n in counts:
            results[n] = run_server(
                n,
                [
                    ("floor", args.clients, args.floor, floor),
                    ("availability", args.clients, args.availability, availability),
                    ("booking", args.clients, args.bookings // len(counts), book),
                ],
            )
            loads.append(load_average())
    else:
        results = run_server(
            args.workers,
            [
                ("floor", args.clients, args.floor, floor),
                ("availability", args.clients, args.availability, availability),
                ("availability_cached", args.clients, args.availability, availability_cached),
                ("booking", args.clients, args.bookings, book),
                ("booking_5", 5, max(100, args.bookings // 3), book),
                ("post_alone", args.clients, args.bookings, post_alone),
                ("post_alone_5", 5, max(100, args.bookings // 3), post_alone),
            ],
        )
        loads.append(load_average())
    double_booked, over_cap = check_database(center_id)
    connection.close()
    connection.creation.destroy_test_db(scratch, verbosity=0)

    def rate(result) -> float:
        latencies, _, seconds = result
        return len(latencies) / seconds if seconds else 0.0

    server_errors = 0
    lines = []
    if args.processes:
        lines += [
            f"Scaling out: {args.clients} concurrent clients -> N gunicorn processes (1 gthread worker x 4 threads each,",
            "persistent DB connections) -> one PostgreSQL, all on this "
            f"{os.cpu_count()}-core machine (clients and database share it).",
            "",
            f"{'processes':>9} {'floor req/s':>12} {'availability req/s':>19} {'booking req/s':>14} "
            f"{'avail/floor':>12} {'book/floor':>11}",
        ]
        for n, found in results.items():
            for result in found.values():
                server_errors += sum(k for code, k in result[1].items() if str(code) >= "500")
            f, a, b = rate(found["floor"]), rate(found["availability"]), rate(found["booking"])
            lines.append(f"{n:>9} {f:>12.1f} {a:>19.1f} {b:>14.1f} {a / f:>12.2f} {b / f:>11.2f}")
        lines += [
            "",
            "On one 2-core machine more processes cannot add CPU: the figures show the processes share the",
            "database without contention (no lock waits, no errors), not the gain on separate hosts.",
        ]
    else:
        labels = {
            "floor": "GET chairs/<id>/ (floor: one row)",
            "availability": "GET availability, cold (14 days)",
            "availability_cached": "GET availability, cached (12 queries)",
            "booking": f"POST appointments, cycle ({args.clients} clients)",
            "booking_5": "POST appointments, cycle (5 clients)",
            "post_alone": f"POST appointments, alone ({args.clients} clients)",
            "post_alone_5": "POST appointments, alone (5 clients)",
        }
        floor_rate = rate(results["floor"])
        lines += [
            f"REST API under load: {args.clients} concurrent clients -> gunicorn ({args.workers} gthread workers x 4 "
            "threads,",
            f"persistent DB connections) -> PostgreSQL, on this {os.cpu_count()}-core machine (clients, server and "
            "database share it, with other jobs).",
            f"Center: {CHAIRS} chairs + {BEDS} beds, Mon-Fri 07:00-19:00, {NURSES} nurses in staggered shifts, "
            f"{PATIENTS} patients.",
            "",
            f"{'endpoint':<40} {'requests':>8} {'req/s':>7} {'÷floor':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
            "  statuses",
        ]
        for name, (latencies, statuses, seconds) in results.items():
            p50, p95, p99 = (1000 * v for v in percentiles(latencies))
            server_errors += sum(n for code, n in statuses.items() if str(code) >= "500")
            codes = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items(), key=lambda item: str(item[0])))
            lines.append(
                f"{labels[name]:<40} {len(latencies):>8} {rate((latencies, statuses, seconds)):>7.1f} "
                f"{rate((latencies, statuses, seconds)) / floor_rate:>7.2f} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f}"
                f"  {codes}"
            )
        lines += [
            "",
            "cycle = availability + booking cycle: each client asks availability for one day, then POSTs one of",
            "its first three candidates (only the POST is timed, but the server also answers the GET between);",
            "alone = POST alone: the slots are drawn from a pool of availability answers over many days fetched",
            "before the run (not timed), so the server answers nothing but bookings.",
        ]
        lines += ["", "SQL queries per request (in process, caches warm): "
                  + ", ".join(f"{k} {v}" for k, v in queries.items())]  # fmt: skip
        lines += ["CPU of the Django process per request (in process, median ms, and ÷ the floor's): "
                  + ", ".join(f"{k} {v:.1f} ({v / cpu['floor']:.2f})" for k, v in cpu.items())]  # fmt: skip
        lines += ["Throughput ratios are what the issue's targets are stated in (booking >= 0.5, availability >= 0.6"
                  " cold, >= 0.9 cached); CPU ratios are the inverse view, steadier under load (floor / x)."]  # fmt: skip
    lines += [
        "",
        "409 = refused because another client took the slot or nurse capacity first (the planner re-checks",
        "every booking under the lock on the center's day; center_busy = the lock was not free within 5 s, try again).",
        f"Server errors: {server_errors}. Double-booked chairs: {double_booked}. "
        f"Slots over nurse watch or start capacity: {over_cap}.",
        "Load average (1, 5, 15 min) at the start and after each server: " + " | ".join(loads),
        "",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with: .venv/bin/python -m bench.api_bench"
        + " ".join(["", *sys.argv[1:]]),
    ]
    table = "\n".join(lines)
    print(table)
    out = RESULTS.with_name("api_scaling.txt") if args.processes else RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table + "\n")
    return 1 if server_errors or double_booked or over_cap else 0


if __name__ == "__main__":
    sys.exit(main())
