"""Reminder delivery benchmark: 10,000 due reminders through Redis and two Celery workers.

    .venv/bin/python -m bench.reminders_bench [--count 10000] [--redeliver-count 2000]

Needs ``REDIS_URL`` (a real Redis) and PostgreSQL (``DATABASE_URL`` or the
project-local one). It creates a scratch database ``bench_reminders_<name>``
(dropped at the end), fills it with one center, ``--count`` patients with one
appointment each tomorrow and one SMS reminder each that is due now, then starts
two Celery worker processes (one pool process each) with the development SMS
backend and runs the dispatcher task once. It measures the time until every
reminder is ``sent`` and counts:

* **duplicates**: texts recorded by the SMS backend beyond one per reminder (must be 0);
* **lost**: reminders not sent when the run ends (must be 0).

A second run (``--redeliver-count``) publishes every send task twice, as a broker
redelivery would, to show that the conditional claim still sends each once.

Prints one table and writes it to ``bench/results/reminders.txt``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import django

from infusion_center.localdb import url_for as database_url

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "reminders.txt"
CELERY = str(Path(sys.executable).with_name("celery"))
BROKER_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex")


def fill(count: int, *, tag: str):
    """One center, ``count`` patients, each with an appointment tomorrow and an SMS reminder due now."""
    from django.utils import timezone

    from chairs.models import Center, Chair
    from patients.models import Patient
    from reminders.models import Reminder
    from scheduling.models import Appointment, Protocol

    center = Center.objects.create(
        name=f"Riverbend Neurology {tag}",
        phone="+16175550100",
        quiet_hours_start=dt.time(0),
        quiet_hours_end=dt.time(0),
    )
    protocol, _ = Protocol.objects.get_or_create(
        code="bmk",
        defaults={
            "name": "Benchmark protocol",
            "drug": "benchmarkumab",
            "first_dose_infusion_minutes": 20,
            "later_dose_infusion_minutes": 20,
            "setup_minutes": 10,
        },
    )
    chairs = Chair.objects.bulk_create([Chair(center=center, label=f"C{i:03d}") for i in range(100)])
    patients = Patient.objects.bulk_create(
        [
            Patient(
                center=center,
                mrn=f"{tag}{i:07d}",
                first_name="Sam",
                last_name=f"Bench{i}",
                date_of_birth=dt.date(1960, 1, 1),
                phone=f"+1617{2_000_000 + i:07d}",
                has_reminder_consent=True,
                reminder_channel="sms",
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    first_start = (now + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    appointments = Appointment.objects.bulk_create(
        [
            Appointment(
                center=center,
                patient=patient,
                protocol=protocol,
                chair=chairs[i % len(chairs)],
                start=first_start + dt.timedelta(hours=i // len(chairs)),
                end=first_start + dt.timedelta(hours=i // len(chairs), minutes=30),
            )
            for i, patient in enumerate(patients)
        ],
        batch_size=2000,
    )
    Reminder.objects.bulk_create(
        [
            Reminder(
                appointment=appointment,
                patient=appointment.patient,
                center=center,
                kind="24h",
                offset_hours=24,
                channel="sms",
                due_at=now - dt.timedelta(minutes=1),
                planned_for=appointment.start,
            )
            for appointment in appointments
        ],
        batch_size=2000,
    )
    return center


def start_workers(url: str, logs: Path) -> list[subprocess.Popen]:
    # Persistent database connections, as a production worker should have (CONN_MAX_AGE, see README).
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SMS_BACKEND": "development",
        "PYTHONPATH": str(ROOT),
        "CONN_MAX_AGE": "300",
    }
    processes = []
    for n in range(2):
        log = (logs / f"bench-worker-{n}.log").open("w")
        processes.append(
            subprocess.Popen(
                [
                    CELERY,
                    "-A",
                    "infusion_center",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "-n",
                    f"bench-{n}@%h",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=WARNING",
                ],  # fmt: skip
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return processes


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def measure(center, *, count: int, redeliver: bool, timeout: float, workers: list[subprocess.Popen]) -> dict:
    from django.db.models import Count

    from reminders import services
    from reminders.models import DevelopmentSms, Reminder, ReminderStatus
    from reminders.tasks import dispatch_due_reminders, enqueue_sends

    rows = Reminder.objects.filter(center=center)
    began = time.monotonic()
    if redeliver:
        # Dispatch here, publishing every send task twice (as a broker redelivery would).
        services.dispatch_due(enqueue=lambda ids: (enqueue_sends(ids), enqueue_sends(ids)))
    else:
        dispatch_due_reminders.delay()  # the workers run the dispatcher, as beat would have it
    sent = 0
    while time.monotonic() - began < timeout:
        if any(worker.poll() is not None for worker in workers):
            raise RuntimeError("A Celery worker exited; see .local/bench-worker-*.log")
        sent = rows.filter(status=ReminderStatus.SENT).count()
        open_rows = rows.filter(status__in=(ReminderStatus.PENDING, ReminderStatus.QUEUED, ReminderStatus.SENDING))
        if sent >= count or not open_rows.exists():
            break
        time.sleep(0.5)
    elapsed = time.monotonic() - began
    if redeliver:  # let the duplicate deliveries finish too before counting
        import redis
        from django.conf import settings

        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (client.llen("celery") or client.hlen("unacked")):
            time.sleep(0.5)
    per_reminder = DevelopmentSms.objects.filter(reminder__center=center).values("reminder").annotate(n=Count("pk"))
    duplicates = sum(row["n"] - 1 for row in per_reminder if row["n"] > 1)
    return {
        "count": count,
        "seconds": elapsed,
        "per_second": sent / elapsed if elapsed else 0.0,
        "sent": sent,
        "duplicates": duplicates,
        "lost": count - rows.filter(status=ReminderStatus.SENT).count(),
        "texts": DevelopmentSms.objects.filter(reminder__center=center).count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--redeliver-count", type=int, default=2_000)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")
    if not os.environ.get("REDIS_URL"):
        print("REDIS_URL is not set: this benchmark needs a real Redis broker.", file=sys.stderr)
        return 2
    django.setup()
    import redis
    from django.conf import settings
    from django.db import connection

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*BROKER_KEYS)
    scratch = f"bench_reminders_{connection.settings_dict['NAME']}"[:63]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = scratch
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    url = database_url(connection.settings_dict, scratch)
    logs = ROOT / ".local"
    logs.mkdir(exist_ok=True)
    results = []
    workers = start_workers(url, logs)
    try:
        for label, count, redeliver in (
            ("dispatched once", args.count, False),
            ("every task delivered twice", args.redeliver_count, True),
        ):
            if count <= 0:
                continue
            center = fill(count, tag="A" if not redeliver else "B")
            results.append(
                (label, measure(center, count=count, redeliver=redeliver, timeout=args.timeout, workers=workers))
            )
    finally:
        stop(workers)
        client.delete(*BROKER_KEYS)
        connection.close()
        connection.creation.destroy_test_db(scratch, verbosity=0)

    lines = [
        "Reminder delivery: due SMS reminders -> dispatcher -> Redis -> 2 Celery workers (1 process each)",
        "-> development SMS backend, PostgreSQL outbox. 2-core machine shared with other jobs.",
        "",
        f"{'scenario':<28} {'reminders':>9} {'seconds':>8} {'sent/s':>7} {'sent':>6} {'texts':>6} {'duplicates':>10} {'lost':>5}",
    ]
    for label, r in results:
        lines.append(
            f"{label:<28} {r['count']:>9} {r['seconds']:>8.1f} {r['per_second']:>7.1f} {r['sent']:>6} "
            f"{r['texts']:>6} {r['duplicates']:>10} {r['lost']:>5}"
        )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines += [
        "",
        f"Load average at the end (1, 5, 15 min): {load} on {os.cpu_count()} cores.",
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with: .venv/bin/python -m bench.reminders_bench",
    ]
    table = "\n".join(lines)
    print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(table + "\n")
    bad = any(r["duplicates"] or r["lost"] for _, r in results)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
