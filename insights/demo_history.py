"""Played-through history for the insights: past days of bookings with realistic lateness, waits,
no-shows, late cancellations and chair times that differ from the booked ones.

Fast (``bulk_create``; the booking service is for live bookings, and its per-booking checks would
take minutes for a year of history) and deterministic (seeded per day). Each chair is filled from
opening, booking after booking with short gaps, so no two chair-holding bookings overlap (the
database's exclusion constraint still checks). A day that already has appointments is left alone,
so running it twice adds nothing. Used by the demo seed (eight weeks) and the benchmark (a year).
"""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass

from django.db import connection, transaction

from chairs.models import Center, Chair, Closure, NurseShift, OpeningHours
from patients.models import Patient
from reminders.models import Reminder, ReminderStatus
from scheduling.models import Appointment, AppointmentStatus, CancelledBy, ChairStage, Protocol
from scheduling.protocol_library import PROTOCOL_MIX

SHIFT_PATTERNS = [(dt.time(7), dt.time(15, 30)), (dt.time(9), dt.time(17, 30)), (dt.time(10, 30), dt.time(19))]
# Minutes each protocol's real chair time runs over (or under) its booked time, by its place in the
# mix: most are close, a few are consistently off by more than 15 minutes (insight 6 flags them).
DURATION_BIAS = [0, 5, 25, -5, 0, 20, 10, -20, 0, 5, 0]


@dataclass
class HistoryReport:
    days: int = 0
    appointments: int = 0
    shifts: int = 0
    reminders: int = 0


def open_days(center: Center, first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.time, dt.time]]:
    hours = {h.weekday: h for h in OpeningHours.objects.filter(center=center)}
    closed = set(Closure.objects.filter(center=center, date__range=(first, last)).values_list("date", flat=True))
    days, day = [], first
    while day <= last:
        h = hours.get(day.weekday())
        if h and day not in closed:
            days.append((day, h.opens, h.closes))
        day += dt.timedelta(days=1)
    return days


def staff_history(*, center: Center, nurses: list, days: list[dt.date]) -> int:
    """The staggered shifts (one nurse off per day, rotating) for the history's days, if missing."""
    tz = center.tzinfo
    if not days or not nurses:
        return 0
    begin = dt.datetime.combine(days[0], dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(days[-1] + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    existing = set(
        NurseShift.objects.filter(center=center, start__gte=begin, start__lt=end).values_list("nurse_id", "start")
    )
    shifts = []
    for day in days:
        for index, nurse in enumerate(nurses):
            if len(nurses) > 3 and (index + day.toordinal()) % 7 == 0:
                continue
            begins, ends = SHIFT_PATTERNS[index % len(SHIFT_PATTERNS)]
            start = dt.datetime.combine(day, begins, tzinfo=tz)
            if (nurse.pk, start) not in existing:
                shifts.append(
                    NurseShift(center=center, nurse=nurse, start=start, end=dt.datetime.combine(day, ends, tzinfo=tz))
                )
    NurseShift.objects.bulk_create(shifts, batch_size=2000)
    return len(shifts)


def _wait_minutes(rng: random.Random, hour: int) -> int:
    """Waits grow through the morning rush and again after lunch; a long tail."""
    base = 6 + (8 if 9 <= hour < 12 else 0) + (5 if 13 <= hour < 15 else 0)
    return min(90, int(rng.expovariate(1 / base)))


def _play(appointment: Appointment, protocol: Protocol, bias: int, rng: random.Random, grace: int) -> None:
    """Fill in what happened: a no-show, a cancellation, or a visit through the chair with real times."""
    minute = dt.timedelta(minutes=1)
    start = appointment.start
    roll = rng.random()
    if roll < 0.05:
        appointment.status = AppointmentStatus.NOSHOW
        return
    if roll < 0.08:
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_by = CancelledBy.PATIENT
        appointment.cancel_reason = "Unwell"
        hours = rng.choice([2, 4, 8, 12, 20, 30, 48, 96])
        appointment.cancelled_at = start - dt.timedelta(hours=hours)
        return
    lateness = rng.randint(-20, 10) if rng.random() < 0.85 else rng.randint(11, 45)
    arrived = start + lateness * minute
    hour = start.astimezone(appointment.center.tzinfo).hour
    seated = max(arrived, start - 5 * minute) + _wait_minutes(rng, hour) * minute
    setup = protocol.setup_minutes + protocol.premedication_minutes
    infusing = seated + round(setup * rng.uniform(0.9, 1.4)) * minute
    infusion = protocol.infusion_minutes(appointment.dose_number)
    observing = infusing + round(infusion * rng.uniform(0.95, 1.12) + bias * rng.uniform(0.6, 1.4)) * minute
    observing = max(observing, infusing + 5 * minute)
    discharged = observing + round(protocol.observation_minutes * rng.uniform(0.9, 1.1)) * minute
    appointment.status = AppointmentStatus.FULFILLED
    appointment.chair_stage = ChairStage.NONE
    appointment.arrived_at = arrived
    appointment.chair_start_at = seated
    appointment.infusion_start_at = infusing
    appointment.observation_start_at = observing if protocol.observation_minutes else None
    appointment.discharged_at = discharged
    if rng.random() < 0.55:
        appointment.confirmed_at = start - dt.timedelta(hours=rng.randint(20, 70))


def _fill_day(*, center, day, opens, closes, chairs, patients, protocols, mix, weights, booker, per_day, rng):
    """Bookings for one day: each chair from opening, one after another, until ``per_day`` are placed."""
    tz = center.tzinfo
    minute = dt.timedelta(minutes=1)
    open_at = dt.datetime.combine(day, opens, tzinfo=tz)
    close_at = dt.datetime.combine(day, closes, tzinfo=tz)
    # First bookings staggered over the morning, as nurses can start only a few infusions per window.
    free = {chair.pk: open_at + rng.randrange(0, 16) * 15 * minute for chair in chairs}
    by_kind: dict[str, list[Chair]] = {}
    for chair in chairs:
        by_kind.setdefault(chair.kind, []).append(chair)
    made: list[Appointment] = []
    attempts = 0
    while len(made) < per_day and attempts < per_day * 3:
        attempts += 1
        code, _, doses = rng.choices(mix, weights=weights)[0]
        protocol = protocols[code]
        dose = rng.choice(doses)
        pool = by_kind.get(protocol.required_chair_kind) if protocol.required_chair_kind else chairs
        if not pool:
            continue
        chair = min(pool, key=lambda c: (free[c.pk], c.pk))
        start = free[chair.pk]
        end = protocol.end_of(start, dose)
        if end > close_at:
            continue
        free[chair.pk] = end + rng.choice([0, 0, 15, 15, 30, 45]) * minute
        patient = patients[rng.randrange(len(patients))]
        made.append(
            Appointment(
                center=center,
                patient=patient,
                protocol=protocol,
                chair=chair,
                start=start,
                end=end,
                dose_number=dose,
                booked_by=booker,
                status=AppointmentStatus.BOOKED,
            )
        )
    return made


def generate_history(
    *,
    center: Center,
    first: dt.date,
    last: dt.date,
    patients: list[Patient],
    booker=None,
    nurses: list | None = None,
    per_day: int = 40,
    seed: int = 20261201,
    with_reminders: bool = True,
) -> HistoryReport:
    """Bookings played through for every open day in ``[first, last]`` that has none yet."""
    report = HistoryReport()
    protocols = {p.code: p for p in Protocol.objects.filter(code__in=[code for code, _, _ in PROTOCOL_MIX])}
    mix = [entry for entry in PROTOCOL_MIX if entry[0] in protocols]
    weights = [weight for _, weight, _ in mix]
    bias = {code: DURATION_BIAS[i % len(DURATION_BIAS)] for i, (code, _, _) in enumerate(mix)}
    chairs = list(Chair.objects.filter(center=center, is_active=True).order_by("pk"))
    tz = center.tzinfo
    days = open_days(center, first, last)
    taken = {
        (start.astimezone(tz)).date()
        for start in Appointment.objects.filter(
            center=center,
            start__gte=dt.datetime.combine(first, dt.time(0), tzinfo=tz),
            start__lt=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
        ).values_list("start", flat=True)
    }
    todo = [d for d in days if d[0] not in taken]
    if not todo or not chairs or not patients or not mix:
        return report
    with transaction.atomic():
        report.shifts = staff_history(center=center, nurses=nurses or [], days=[d for d, _, _ in todo])
        appointments = []
        for day, opens, closes in todo:
            rng = random.Random(f"{seed}-{center.pk}-{day.isoformat()}")
            made = _fill_day(
                center=center,
                day=day,
                opens=opens,
                closes=closes,
                chairs=chairs,
                patients=patients,
                protocols=protocols,
                mix=mix,
                weights=weights,
                booker=booker,
                per_day=per_day,
                rng=rng,
            )
            for appointment in made:
                _play(
                    appointment, appointment.protocol, bias[appointment.protocol.code], rng, center.noshow_grace_minutes
                )
            appointments += made
        first_new = _copy_appointments(appointments)
        if with_reminders:
            report.reminders = _deliver_reminders(center=center, first_id=first_new)
    report.days = len(todo)
    report.appointments = len(appointments)
    return report


def _copy_value(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "{" + ",".join(f'"{v}"' for v in value) + "}"
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_appointments(appointments: list[Appointment]) -> int:
    """Insert the played-through appointments with one ``COPY`` (ten times faster than ``bulk_create``
    for a year of history); returns the first new id. Every concrete column is written from the
    instance, so a field added to the model later is copied with its default. Booked some days to
    weeks ahead: ``created_at`` lies 1–40 days before the start."""
    fields = [f for f in Appointment._meta.concrete_fields if not f.primary_key]
    day = dt.timedelta(days=1)
    lines = []
    for n, a in enumerate(appointments):
        a.created_at = a.start - ((n * 7919) % 40 + 1) * day
        a.updated_at = a.discharged_at or a.cancelled_at or a.start
        lines.append("\t".join(_copy_value(getattr(a, f.attname)) for f in fields))
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = Appointment._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
        (first_id,) = cursor.fetchone()
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", io.StringIO("\n".join(lines) + "\n"))
    return first_id


def _deliver_reminders(*, center: Center, first_id: int) -> int:
    """A delivered 24-hour SMS reminder for each new appointment of a consenting patient that was
    not cancelled before it was due (one ``INSERT … SELECT``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {Reminder._meta.db_table} (appointment_id, patient_id, center_id, kind, offset_hours, channel,
                status, due_at, planned_for, sent_at, attempts, recipient, body, provider_message_id, provider_status,
                last_error, note, created_at, updated_at)
            SELECT a.id, a.patient_id, a.center_id, '24h', 24, 'sms', %(delivered)s, a.start - interval '24 hours', a.start,
                a.start - interval '24 hours', 1, '', '', '', '', '', '', a.start - interval '25 hours', a.start - interval '24 hours'
            FROM {Appointment._meta.db_table} a JOIN {Patient._meta.db_table} p ON p.id = a.patient_id
            WHERE a.center_id = %(center)s AND a.id >= %(first_id)s AND p.has_reminder_consent
              AND (a.cancelled_at IS NULL OR a.cancelled_at > a.start - interval '24 hours')
            """,
            {"delivered": ReminderStatus.DELIVERED.value, "center": center.pk, "first_id": first_id},
        )
        return cursor.rowcount


NEW_START_PAYERS = [
    ("Medicare", 3),
    ("Aetna", 9),
    ("UnitedHealthcare", 14),
    ("Blue Cross Blue Shield", 7),
    ("Harvard Pilgrim", 11),
]


def seed_new_starts(*, center: Center, first: dt.date, last: dt.date, count: int = 30, actor=None) -> int:
    """New patients whose first dose is in the history: each with a doctor's order some days before it
    and a prior authorization approved after a payer-typical delay (recorded in its history).

    Takes over every n-th discharged visit of the range for a new patient (MRN ``RNS…``); a patient
    that exists already is skipped, so this is idempotent.
    """
    tz = center.tzinfo
    visits = list(
        Appointment.objects.filter(
            center=center,
            status=AppointmentStatus.FULFILLED,
            start__gte=dt.datetime.combine(first, dt.time(0), tzinfo=tz),
            start__lt=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz),
        )
        .order_by("start", "pk")
        .select_related("protocol")
    )
    if not visits:
        return 0
    step = max(1, len(visits) // count)
    with transaction.atomic():
        return _new_starts(center=center, visits=visits[::step][:count], actor=actor)


def _new_starts(*, center: Center, visits: list[Appointment], actor) -> int:
    from treatment.models import AuthorizationStatus, Order, PriorAuthorization

    tz = center.tzinfo
    history = PriorAuthorization.history.model
    made = 0
    for n, visit in enumerate(visits):
        rng = random.Random(f"new-start-{n}")
        patient, created = Patient.objects.get_or_create(
            mrn=f"RNS{200000 + n}",
            defaults={
                "center": center,
                "first_name": ["Alex", "Sam", "Jordan", "Robin", "Casey", "Morgan"][n % 6],
                "last_name": ["Reyes", "Fischer", "Okoro", "Lindqvist", "Barros", "Kaur"][n % 6],
                "date_of_birth": dt.date(1950 + n % 40, 1 + n % 12, 1 + n % 27),
                "phone": f"+1617555{2000 + n:04d}",
                "reminder_channel": "sms",
                "has_reminder_consent": True,
            },
        )
        if not created:
            continue
        payer, typical = NEW_START_PAYERS[n % len(NEW_START_PAYERS)]
        visit_day = visit.start.astimezone(tz).date()
        auth_days = max(1, round(rng.uniform(0.5, 1.8) * typical))
        order_day = visit_day - dt.timedelta(days=auth_days + rng.randint(3, 21))
        Appointment.objects.filter(pk=visit.pk).update(patient=patient)
        order = Order.objects.create(
            patient=patient,
            protocol=visit.protocol,
            ordering_provider="Dr. Amara Patel",
            start_date=order_day,
            valid_until=order_day + dt.timedelta(days=365),
            created_by=actor,
        )
        requested = dt.datetime.combine(order_day + dt.timedelta(days=1), dt.time(10), tzinfo=tz)
        authorization = PriorAuthorization.objects.create(
            patient=patient,
            order=order,
            payer=payer,
            reference_number=f"PA-NS{n:04d}",
            status=AuthorizationStatus.PENDING,
            created_by=actor,
        )
        authorization.status = AuthorizationStatus.APPROVED
        authorization.approved_from = order_day
        authorization.approved_until = order_day + dt.timedelta(days=365)
        authorization.save()
        PriorAuthorization.objects.filter(pk=authorization.pk).update(created_at=requested)
        records = list(history.objects.filter(id=authorization.pk).order_by("history_id"))
        history.objects.filter(history_id=records[0].history_id).update(history_date=requested)
        history.objects.filter(history_id=records[-1].history_id).update(
            history_date=requested + dt.timedelta(days=auth_days, hours=rng.randint(-3, 5))
        )
        made += 1
    return made


def seed_demo_history(*, today: dt.date, weeks: int = 8, per_day: int = 40) -> HistoryReport:
    """The demo center's ``weeks`` weeks before this week's Monday (where the booked demo days begin), played through."""
    from django.contrib.auth.models import User

    from scheduling.demo import CENTER_NAME, NURSES

    center = Center.objects.get(name=CENTER_NAME)
    before = today - dt.timedelta(days=today.weekday())

    usernames = [f"{first}.{last}".lower() for first, last in NURSES]
    by_name = {u.username: u for u in User.objects.filter(username__in=usernames)}
    nurses = [by_name[name] for name in usernames if name in by_name]
    first, last = before - dt.timedelta(weeks=weeks), before - dt.timedelta(days=1)
    patients = list(Patient.objects.filter(center=center, mrn__startswith="RNC").order_by("mrn"))
    report = generate_history(
        center=center,
        first=first,
        last=last,
        patients=patients,
        booker=User.objects.filter(username="nurse").first(),
        nurses=nurses,
        per_day=per_day,
    )
    seed_new_starts(center=center, first=first, last=last, actor=User.objects.filter(username="admin").first())
    return report
