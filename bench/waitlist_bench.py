"""Waitlist simulation: a month of a 24-chair center with cancellations, no-shows and a waitlist.

    .venv/bin/python -m bench.waitlist_bench [--seed 7] [--weeks 4] [--cancel 0.10] [--noshow 0.05]
                                             [--short-notice 0.3] [--out bench/results/waitlist.txt]

Runs the real code in one process against a scratch PostgreSQL database (``bench_waitlist_<name>``,
dropped at the end), on a simulated clock (time_machine), with Celery tasks run eagerly:

* 24 chairs open Monday–Friday 07:00–19:00, 6 nurses on shift all day (4 patients each, 2 starts
  per nurse per 30 minutes); three protocols of 90, 165 and 285 chair minutes. The weeks are booked
  ahead to about 85 % of what the planner can place (``planner.find_slots``, then ``bulk_create``).
* About ``--cancel`` of the appointments are cancelled through ``transition()`` at a random moment
  from 7 days to 1 hour before their start, about ``--noshow`` are marked no-shows after the grace
  period; every other change goes through the services as well (releases, gap fill, offers, texts
  by the development SMS backend, replies through ``reminders.services.handle_inbound_sms``).
* The waitlist: at the start 40 patients with a booked later appointment who would come earlier
  (weeks 3–4) and 20 new patients without one; two more join every working day.
* ``--short-notice`` of the patients joining say they can be here within 30 minutes (the entry's
  ``short_notice_minutes``; ignored by code that does not have that field, so one script measures
  before and after).
* Patients answer an offer text with YES with probability 0.55 after an exponential delay (mean 8
  minutes), NO with 0.15, and never otherwise. Beat's ``advance`` runs one second after each
  offer's expiry (once per moment) and at 08:05 every day (after the quiet hours).

Reports the freed chair-hours (cancellations and no-shows; the times that waitlist moves free in
turn are counted apart), the share refilled from the waitlist, and the median time from release to
rebooking (also for the releases made while texts may be sent, 08:00–21:00, since quiet hours hold
the others until morning). Writes ``bench/results/waitlist.txt`` (or ``--out``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import inspect
import itertools
import logging
import os
import random
import statistics
import time
import zoneinfo
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "waitlist.txt"
TZ = zoneinfo.ZoneInfo("America/New_York")
START = dt.datetime(2027, 1, 4, 7, 0, tzinfo=TZ)  # a Monday; the clock starts two weeks before
CHAIRS, NURSES = 24, 6
P_YES, P_NO, MEAN_ANSWER_MINUTES = 0.55, 0.15, 8.0


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def build(*, weeks: int, rng: random.Random):
    from django.contrib.auth.models import User

    from chairs.models import Center, Chair, NurseShift, OpeningHours
    from patients.models import Patient
    from scheduling import planner
    from scheduling.models import Appointment, Protocol
    from scheduling.planner_input import planner_input_for, slot_request_for

    center = Center.objects.create(name="Bench Neurology", timezone="America/New_York", phone="+16175550100")
    for weekday in range(5):
        OpeningHours.objects.create(center=center, weekday=weekday, opens=dt.time(7), closes=dt.time(19))
    chairs = [Chair.objects.create(center=center, label=f"C{n:02d}", kind="chair") for n in range(1, CHAIRS + 1)]
    nurses = [User.objects.create(username=f"bench-nurse-{n}") for n in range(NURSES)]
    center.staff.add(*nurses)
    days = [
        START.date() + dt.timedelta(days=n)
        for n in range(7 * weeks)
        if (START.date() + dt.timedelta(days=n)).weekday() < 5
    ]
    NurseShift.objects.bulk_create(
        NurseShift(center=center, nurse=nurse, start=local(day, 7), end=local(day, 19))
        for day in days
        for nurse in nurses
    )
    protocols = [
        Protocol.objects.create(
            code=code,
            name=f"Bench {code}",
            drug=f"benchdrug{code}",
            first_dose_infusion_minutes=m,
            later_dose_infusion_minutes=m,
            setup_minutes=15,
            observation_minutes=0,
        )  # fmt: skip
        for code, m in (("short", 75), ("medium", 150), ("long", 270))
    ]
    weights = (0.45, 0.35, 0.20)
    serial = itertools.count()

    def new_patient() -> Patient:
        n = next(serial)
        return Patient.objects.create(center=center, mrn=f"B{n:06d}", first_name="Pat", last_name=f"Bench{n}",
                                      date_of_birth=dt.date(1960, 1, 1), phone=f"+1617{n:07d}",
                                      has_reminder_consent=True, reminder_channel="sms")  # fmt: skip

    appointments = []
    pin = planner_input_for(center=center, date_from=days[0], date_to=days[-1])
    for day in days:
        placed = 0
        for attempt in range(200):
            protocol = rng.choices(protocols, weights)[0]
            request = slot_request_for(protocol=protocol, dose_number=1, date_from=day, date_to=day, limit=1)
            found = planner.find_slots(pin, request).candidates
            if not found:
                if attempt > 60:
                    break
                continue
            if rng.random() > 0.85:  # leave about 15 % of what fits unbooked
                continue
            c = found[0]
            appointment = Appointment(center=center, patient=new_patient(), protocol=protocol, chair_id=c.chair_id,
                                      start=c.start, end=c.end, dose_number=1)  # fmt: skip
            appointments.append(appointment)
            pin = pin.with_booking(planner.BookedSlot(-len(appointments), c.chair_id, c.start, c.end))
            placed += 1
    Appointment.objects.bulk_create(appointments)
    return center, chairs, nurses, protocols, weights, days, new_patient


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--cancel", type=float, default=0.10)
    parser.add_argument("--noshow", type=float, default=0.05)
    parser.add_argument("--short-notice", type=float, default=0.3, dest="short_notice")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")
    os.environ["SMS_BACKEND"] = "development"
    django.setup()
    import time_machine
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    from infusion_center.celery import app

    setup_test_environment()
    logging.getLogger("celery").setLevel(logging.WARNING)  # eager tasks log every run otherwise
    settings.BOOKING_REQUIRES_ORDER = False  # the bench measures gap fill, not readiness paperwork
    settings.SMS_BACKEND = "development"
    app.conf.task_always_eager = True
    scratch = f"bench_waitlist_{connection.settings_dict['NAME']}"[:63]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = scratch
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    rng = random.Random(args.seed)
    began = time.monotonic()
    try:
        with time_machine.travel(START - dt.timedelta(days=14), tick=False) as clock:
            lines = simulate(args, rng, clock)
    finally:
        connection.close()
        connection.creation.destroy_test_db(scratch, verbosity=0)
    lines += ["", f"Ran in {time.monotonic() - began:.0f} s (load average {os.getloadavg()[0]:.1f} at the end)."]
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


def simulate(args, rng: random.Random, clock) -> list[str]:
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from reminders.services import handle_inbound_sms
    from scheduling.errors import SchedulingError
    from scheduling.models import Appointment, AppointmentStatus
    from scheduling.services import transition
    from waitlist import services
    from waitlist.models import Offer, OfferStatus, Release

    center, chairs, nurses, protocols, weights, days, new_patient = build(weeks=args.weeks, rng=rng)
    nurse = nurses[0]
    nurse.groups.add(Group.objects.get(name="nurse"))
    booked = list(Appointment.objects.filter(center=center).select_related("patient", "protocol"))

    events: list[tuple[dt.datetime, int, str, object]] = []
    order = itertools.count()

    def at(moment: dt.datetime, kind: str, payload=None) -> None:
        heapq.heappush(events, (moment, next(order), kind, payload))

    has_short_notice = "short_notice_minutes" in inspect.signature(services.add_to_waitlist).parameters

    def add_entry(*, replaces=None) -> None:
        today = timezone.now().astimezone(TZ).date()
        extra = {}
        if rng.random() < args.short_notice and has_short_notice:
            extra["short_notice_minutes"] = 30
        try:
            if replaces is not None:
                services.add_to_waitlist(actor=nurse, center=center, patient=replaces.patient, protocol=replaces.protocol,
                                         dose_number=1, channel="sms", replaces=replaces, **extra)  # fmt: skip
            else:
                services.add_to_waitlist(actor=nurse, center=center, patient=new_patient(), dose_number=1,
                                         protocol=rng.choices(protocols, weights)[0], channel="sms",
                                         earliest=today + dt.timedelta(days=1), **extra)  # fmt: skip
        except Exception:  # a window that no longer fits: that patient does not join
            pass

    # The waitlist at the start: 40 patients booked in weeks 3–4 who would come earlier, 20 new ones.
    later = [a for a in booked if a.start.date() >= START.date() + dt.timedelta(days=14)]
    for appointment in rng.sample(later, min(40, len(later))):
        at(START - dt.timedelta(days=14), "join", appointment)
    for _ in range(20):
        at(START - dt.timedelta(days=14), "join", None)
    for day in days:
        for _ in range(2):
            at(local(day, 9) - dt.timedelta(days=1), "join", None)
        at(local(day, 8, 5), "advance", None)
    waitlisted = {a.pk for _, _, kind, a in events if kind == "join" and a is not None}
    for appointment in booked:
        if appointment.pk in waitlisted:
            continue
        roll = rng.random()
        if roll < args.cancel:
            lead = dt.timedelta(minutes=rng.uniform(60, 7 * 24 * 60))
            at(max(appointment.start - lead, START - dt.timedelta(days=14)), "cancel", appointment)
        elif roll < args.cancel + args.noshow:
            at(appointment.start + dt.timedelta(minutes=31), "noshow", appointment)

    answered: set[int] = set()
    advances: set[dt.datetime] = set()  # beat runs once a minute: one advance per moment is enough
    processed = 0
    while events:
        moment, _, kind, payload = heapq.heappop(events)
        clock.move_to(moment)
        processed += 1
        try:
            if kind == "join":
                add_entry(replaces=payload)
            elif kind == "cancel":
                transition(actor=nurse, appointment=payload, action="cancel", cancelled_by="patient", reason="bench")
            elif kind == "noshow":
                transition(actor=nurse, appointment=payload, action="no_show")
            elif kind == "advance":
                services.advance()
            elif kind == "answer":
                offer, word = payload
                handle_inbound_sms(from_number=offer.recipient, body=f"{word} {offer.code}")
        except SchedulingError:
            pass
        # Patients answer the texts that just went out; beat looks again after each expiry.
        for offer in Offer.objects.filter(status=OfferStatus.SENT).exclude(pk__in=answered):
            answered.add(offer.pk)
            if offer.expires_at not in advances:
                advances.add(offer.expires_at)
                at(offer.expires_at + dt.timedelta(seconds=1), "advance", None)
            roll = rng.random()
            delay = dt.timedelta(minutes=rng.expovariate(1 / MEAN_ANSWER_MINUTES))
            if roll < P_YES:
                at(timezone.now() + delay, "answer", (offer, "YES"))
            elif roll < P_YES + P_NO:
                at(timezone.now() + delay, "answer", (offer, "NO"))

    return report(center, Release, Offer, OfferStatus, AppointmentStatus, booked, processed, args)


def hours(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 3600


def _waits_line(label: str, waits: list[float]) -> str:
    if not waits:
        return f"{label} (n=0): -"
    p90 = statistics.quantiles(waits, n=10)[-1] if len(waits) >= 2 else waits[0]
    return f"{label} (n={len(waits)}): median {statistics.median(waits):.1f} min, p90 {p90:.1f} min."


def _in_sending_hours(moment: dt.datetime) -> bool:
    return dt.time(8) <= moment.astimezone(TZ).time() < dt.time(21)


def report(center, Release, Offer, OfferStatus, AppointmentStatus, booked, processed, args) -> list[str]:
    rows = []
    waits = []
    by_cause: dict[str, list[float]] = {}
    daytime: list[float] = []
    for causes, label in (
        (("cancelled",), "cancellations"),
        (("noshow",), "no-shows"),
        (("moved",), "moves (waitlist)"),
    ):
        releases = list(Release.objects.filter(center=center, cause__in=causes).prefetch_related("offers"))
        freed = sum((hours(r.end - r.start) for r in releases), 0.0)
        refilled = 0.0
        for release in releases:
            for offer in release.offers.all():
                if offer.status == OfferStatus.ACCEPTED:
                    overlap = min(offer.end, release.end) - max(offer.start, release.start)
                    refilled += max(hours(overlap), 0.0)
                    wait = (offer.answered_at - release.created_at).total_seconds() / 60
                    by_cause.setdefault(label, []).append(wait)
                    if label != "moves (waitlist)":
                        waits.append(wait)
                        if _in_sending_hours(release.created_at):
                            daytime.append(wait)
        share = refilled / freed if freed else 0.0
        rows.append(f"{label:<18} {len(releases):>8} {freed:>12.1f} {refilled:>12.1f} {share:>9.1%}")
    offers = Offer.objects.filter(entry__center=center)
    by_status = {s: offers.filter(status=s).count() for s in OfferStatus.values}
    primary = [r for r in rows[:2]]
    freed_total = sum(float(r.split()[-3]) for r in primary)
    refilled_total = sum(float(r.split()[-2]) for r in primary)
    return [
        f"Waitlist simulation: {args.weeks} weeks, {CHAIRS} chairs, {NURSES} nurses, {len(booked)} appointments booked "
        f"ahead (seed {args.seed}); cancellations {args.cancel:.0%}, no-shows {args.noshow:.0%}; "
        f"{args.short_notice:.0%} of joiners can come at short notice (30 min) where the code asks;",
        f"offers answered YES {P_YES:.0%} / NO {P_NO:.0%} / never, mean answer {MEAN_ANSWER_MINUTES:.0f} min; "
        f"{processed} simulated events.",
        "",
        f"{'freed by':<18} {'releases':>8} {'chair-hours':>12} {'refilled h':>12} {'refilled':>9}",
        *rows,
        "",
        f"Cancellations and no-shows together: {refilled_total:.1f} of {freed_total:.1f} chair-hours refilled "
        f"({(refilled_total / freed_total if freed_total else 0):.1%}).",
        _waits_line("Release to rebooking, cancellations and no-shows", waits),
        _waits_line("  of them released 08:00-21:00 (texts may go at once)", daytime),
        *(_waits_line(f"  {label}", values) for label, values in by_cause.items()),
        "Offers: " + ", ".join(f"{k} {v}" for k, v in by_status.items() if v),
    ]


if __name__ == "__main__":
    raise SystemExit(main())
