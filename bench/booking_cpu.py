"""CPU of one booking in process: ``POST /api/v1/appointments/`` through DRF's test client, caches warm.

    .venv/bin/python -m bench.booking_cpu [--bookings 200] [--profile 40] [--consent]

The steady figure for issue 14's booking work: the median CPU milliseconds of this process per booking
(PostgreSQL's own CPU is not included) and, for scale, per one-row DRF GET (``GET /api/v1/chairs/<id>/``)
in the same process. Uses ``bench.api_bench``'s center in a scratch database ``bench_cpu_<name>`` that is
kept between runs (``--fresh`` rebuilds it); every run first deletes the previous run's appointments,
their reminders and history, so runs of different code on the same database compare like for like.

Before each booking it asks availability for one day (not timed) for a free slot, so only the POST is
measured, and every booking is accepted. ``--consent`` gives the booked patients SMS
reminder consent (each booking then also writes its reminder outbox rows). ``--profile N`` prints a
cProfile of N further bookings, sorted by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import statistics
import sys
import time

import django

TIMING = [False]  # on only during the timed bookings' POSTs


def wrap_for_timing(name: str, totals: dict[str, float]) -> None:
    """Replace ``module:function`` (or ``module:Class.method``) by a wrapper adding its CPU time to totals
    (the outermost call only, so recursion is not counted twice)."""
    import functools
    import importlib

    module_name, _, attribute = name.partition(":")
    owner = importlib.import_module(module_name)
    *path, last = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, last)
    depth = [0]

    @functools.wraps(original)
    def timed(*args, **kwargs):
        if depth[0] or not TIMING[0]:
            return original(*args, **kwargs)
        depth[0] += 1
        began = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            totals[name] += time.process_time() - began
            depth[0] -= 1

    setattr(owner, last, timed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--profile", type=int, default=0, help="profile this many more bookings")
    parser.add_argument("--consent", action="store_true", help="patients with SMS reminder consent")
    parser.add_argument("--fresh", action="store_true", help="rebuild the scratch database")
    parser.add_argument("--sort", default="cumulative", help="the profile's order (pstats: cumulative, tottime)")
    parser.add_argument("--callees", default="", help="also print what functions matching this call")
    parser.add_argument(
        "--split",
        default="",
        help="comma-separated module:function names to time inside the bookings (CPU ms per booking, inclusive)",
    )
    parser.add_argument("--lines", type=int, default=45, help="profile lines to print")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")
    django.setup()
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 409s are expected
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from bench.api_bench import fill
    from chairs.models import Center, Chair
    from patients.models import Patient
    from reminders.models import Reminder
    from scheduling.models import Appointment

    scratch = f"bench_cpu_{connection.settings_dict['NAME']}"[:63]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = scratch
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=not args.fresh)
    center = Center.objects.filter(name="API Bench Infusion Center").first()
    if center is None:
        fill()
        center = Center.objects.get(name="API Bench Infusion Center")
    token = Token.objects.get(user__username="bench.nurse0").key
    Reminder.objects.filter(center=center).delete()
    Appointment.objects.filter(center=center).delete()
    Appointment.history.filter(center_id=center.pk).delete()
    Patient.objects.filter(center=center).update(
        has_reminder_consent=args.consent, reminder_channel="sms", phone="+16175550100" if args.consent else ""
    )
    from treatment.models import Order

    plan = list(Order.objects.filter(patient__center=center).order_by("pk").values_list("patient_id", "protocol_id"))
    chair_id = Chair.objects.filter(center=center).values_list("pk", flat=True).first()
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    today = timezone.localdate(timezone=center.tzinfo)

    weekdays = [today + dt.timedelta(days=n) for n in range(1, 56) if (today + dt.timedelta(days=n)).weekday() < 5]
    patients = iter(plan)

    def next_booking(n: int) -> dict:
        """A free slot for the next patient, asked of availability (not timed) just before it is booked."""
        for attempt in range(len(weekdays)):
            patient, protocol = next(patients)
            day = weekdays[(n + attempt) % len(weekdays)]
            found = client.get(
                "/api/v1/availability/",
                {"center": center.pk, "protocol": protocol, "dose_number": 1, "date_from": day, "date_to": day,
                 "limit": 1},
            ).json()["candidates"]  # fmt: skip
            if found:
                return {
                    "patient": patient,
                    "protocol": protocol,
                    "chair": found[0]["chair"],
                    "start": found[0]["start"],
                }
        raise SystemExit("the center is full; rebuild it with --fresh")

    statuses: dict[int, int] = {}

    profiler = cProfile.Profile(time.process_time)  # CPU, not wall time: the waits on PostgreSQL are not ours

    def post(body, *, profile: bool = False, timing: bool = False) -> float:
        TIMING[0] = timing
        began = time.process_time()
        if profile:
            profiler.enable()
        response = client.post("/api/v1/appointments/", body, content_type="application/json")
        if profile:
            profiler.disable()
        spent = (time.process_time() - began) * 1000
        TIMING[0] = False
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code in (201, 409), response.content
        return spent

    split = {name: 0.0 for name in args.split.split(",") if name}
    for name in split:
        wrap_for_timing(name, split)
    floor = []
    for n in range(5):
        post(next_booking(n))  # warm-up: imports, caches
    for _ in range(60):
        began = time.process_time()
        client.get(f"/api/v1/chairs/{chair_id}/")
        floor.append((time.process_time() - began) * 1000)
    booking = [post(next_booking(n), timing=True) for n in range(args.bookings)]
    profiled = ""
    if args.profile:
        for n in range(args.profile):
            post(next_booking(n), profile=True)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
        stats.print_stats(args.lines)
        if args.callees:
            stats.print_callees(args.callees)
        profiled = out.getvalue()
    connection.close()
    f, b = statistics.median(floor), statistics.median(booking)
    print(profiled)
    for name, seconds in split.items():
        print(f"{name:<70} {seconds * 1000 / len(booking):7.2f} ms per booking")
    print(
        f"CPU per request, in process, median ms: floor {f:.2f}, booking {b:.2f} ({b / f:.2f}x the floor); "
        f"booking mean {statistics.fmean(booking):.2f}; statuses {statuses}; "
        f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
