"""A real Celery worker and beat against the real Redis broker (REDIS_URL).

beat → dispatcher → send task → status recorded; a send task delivered twice sends once; a worker
killed mid-send leaves the reminder sent once or marked unknown, never sent twice.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.utils import timezone

from infusion_center.localdb import url_for
from reminders import services
from reminders.models import DevelopmentSms, Reminder, ReminderStatus
from reminders.tasks import send_reminder
from tests.factories import PatientFactory
from tests.reminders.conftest import at

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
REDIS_URL = os.environ.get("REDIS_URL", "")
BROKER_KEYS = ("celery", "unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def broker():
    if not REDIS_URL:
        pytest.skip("REDIS_URL is not set: the worker test needs a real Redis broker.")
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # fail loudly if REDIS_URL is set but Redis is down
    client.delete(*BROKER_KEYS)
    yield client
    client.delete(*BROKER_KEYS)


@pytest.fixture
def processes(tmp_path, pytestconfig):
    """Start Celery processes against the test database; all are killed at the end. Under ``--clock``
    they run on the session's clock too (``tests/clocked.py``)."""
    clocked = getattr(pytestconfig, "_clock_travel", None) is not None
    started: list[tuple[subprocess.Popen, Path]] = []
    database_url = url_for(connection.settings_dict)

    def start(kind: str, **env) -> subprocess.Popen:
        log = tmp_path / f"{kind}-{len(started)}.log"
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "REDIS_URL": REDIS_URL,
            "SMS_BACKEND": "development",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        if kind == "worker":
            command = [CELERY, "-A", "infusion_center", "worker", "--pool=prefork", "--concurrency=2",
                       "-n", f"reminders-test-{uuid.uuid4().hex[:8]}@%h", "--without-gossip", "--without-mingle",
                       "--loglevel=INFO"]  # fmt: skip
        else:
            command = [
                CELERY,
                "-A",
                "infusion_center",
                "beat",
                "-s",
                str(tmp_path / "beat-schedule"),
                "--loglevel=INFO",
            ]
        if clocked:
            command = [sys.executable, "-m", "tests.clocked", timezone.now().isoformat(), "celery", *command[1:]]
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
        )
        started.append((process, log))
        return process

    start.logs = lambda: "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for _, log in started)
    yield start
    for process, _ in started:
        kill(process)
    connection.close()


def kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)  # the worker and its pool children, as a crash would
        process.wait(10)


def wait_until(condition, *, timeout: float, what: str, logs=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"Timed out waiting for {what}.\n{logs() if logs else ''}")


def broker_drained(client) -> bool:
    return client.llen("celery") == 0 and client.hlen("unacked") == 0


@pytest.fixture
def due_reminder(book, center, monday):
    """A patient's 72 h reminder made due now (no quiet hours, so the test runs at any hour)."""
    center.quiet_hours_start = center.quiet_hours_end = dt.time(0)
    center.save()
    patient = PatientFactory(center=center)
    appointment = book(patient, at(monday, 9))
    reminder = Reminder.objects.get(appointment=appointment, kind="72h")
    Reminder.objects.filter(pk=reminder.pk).update(due_at=timezone.now() - dt.timedelta(minutes=1))
    return reminder


def sms_count(reminder) -> int:
    return DevelopmentSms.objects.filter(reminder_id=reminder.pk).count()


def status_of(reminder) -> str:
    return Reminder.objects.values_list("status", flat=True).get(pk=reminder.pk)


def test_beat_dispatches_and_a_task_delivered_twice_sends_once(broker, processes, due_reminder, book, center, monday):
    processes("worker")
    processes("beat", REMINDERS_DISPATCH_SECONDS="1")
    wait_until(
        lambda: status_of(due_reminder) == ReminderStatus.SENT, timeout=90, what="beat to send", logs=processes.logs
    )
    assert sms_count(due_reminder) == 1
    row = Reminder.objects.get(pk=due_reminder.pk)
    assert row.provider_message_id and row.sent_at and row.attempts == 1

    # The broker delivers one send task twice (and once more for good measure): one text goes out.
    other_visit = book(PatientFactory(center=center), at(monday, 14))
    other = Reminder.objects.get(appointment=other_visit, kind="24h")
    Reminder.objects.filter(pk=other.pk).update(status=ReminderStatus.QUEUED, queued_at=timezone.now())
    for _ in range(3):
        send_reminder.apply_async(args=[other.pk])
    wait_until(
        lambda: status_of(other) == ReminderStatus.SENT, timeout=60, what="the duplicate sends", logs=processes.logs
    )
    wait_until(lambda: broker_drained(broker), timeout=60, what="every delivery to finish", logs=processes.logs)
    assert sms_count(other) == 1
    assert sms_count(due_reminder) == 1


def test_worker_killed_mid_send_never_sends_twice(broker, processes, due_reminder):
    short = {"CELERY_VISIBILITY_TIMEOUT": "1", "REMINDERS_SENDING_LEASE_SECONDS": "2"}
    doomed = processes("worker", SMS_BACKEND="tests.reminders.blocking_backend.HangingAfterSendBackend", **short)
    services.dispatch_due()  # this process claims the row and publishes the send task to Redis
    wait_until(
        lambda: sms_count(due_reminder) == 1 and status_of(due_reminder) == ReminderStatus.SENDING,
        timeout=60,
        what="the worker to be mid-send",
        logs=processes.logs,
    )
    kill(doomed)
    assert broker.hlen("unacked") == 1  # acks_late: the message was not acknowledged

    processes("worker", **short)  # redelivers the unacknowledged task
    processes("beat", REMINDERS_DISPATCH_SECONDS="1", **short)  # its dispatcher sweeps the stale "sending"
    wait_until(
        lambda: status_of(due_reminder) == ReminderStatus.UNKNOWN, timeout=90, what="unknown", logs=processes.logs
    )
    wait_until(lambda: broker_drained(broker), timeout=60, what="the redelivered task", logs=processes.logs)
    assert sms_count(due_reminder) == 1  # the provider got it once; it was not blindly resent
    row = Reminder.objects.get(pk=due_reminder.pk)
    assert row.needs_follow_up and "may or may not have gone out" in row.last_error


def test_send_tasks_lost_with_the_broker_are_handed_over_again_once(broker, processes, due_reminder):
    """Redis restarted without its data (the queue is gone): the rows wait in "queued" and the dispatcher
    hands them over again after REMINDERS_REQUEUE_SECONDS; each is still sent once."""
    services.dispatch_due()  # claimed and published, but no worker runs yet
    assert status_of(due_reminder) == ReminderStatus.QUEUED and broker.llen("celery") == 1
    broker.delete(*BROKER_KEYS)  # what a Redis restart without persistence leaves
    processes("worker", REMINDERS_REQUEUE_SECONDS="2")  # the dispatcher runs in the worker
    processes("beat", REMINDERS_DISPATCH_SECONDS="1")
    wait_until(
        lambda: status_of(due_reminder) == ReminderStatus.SENT, timeout=90, what="the re-queue", logs=processes.logs
    )
    wait_until(lambda: broker_drained(broker), timeout=60, what="every delivery to finish", logs=processes.logs)
    assert sms_count(due_reminder) == 1
