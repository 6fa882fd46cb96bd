"""Demo data: a realistic neurology infusion center, built the way users would build it.

Everything is deterministic (a fixed random seed) and idempotent: records are
looked up by natural keys before they are created, and a day that already has
appointments is left alone, so running ``seed_demo`` twice changes nothing.
Appointments are placed by the slot planner and booked through the booking
service, so the demo schedule respects chairs, opening hours and nurse capacity.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from chairs.models import Center, Chair, NurseShift, OpeningHours
from chairs.roles import CENTER_ADMIN, FRONT_DESK, NURSE, PHARMACY
from patients.models import Patient, ReminderChannel
from scheduling import planner
from scheduling.errors import SchedulingError
from scheduling.models import Appointment, Protocol
from scheduling.planner_input import planner_input_for, slot_request_for
from scheduling.protocol_library import PROTOCOL_MIX, seed_protocols
from scheduling.services import book_appointment, transition
from treatment.demo import prepare_demo_dose, seed_series_shifts

CENTER_NAME = "Riverside Neurology Infusion Center"
TIMEZONE = "America/New_York"
SEED = 20261124

DEMO_USERS = [
    # username, password, role, first name, last name
    ("nurse", "infuse-demo-nurse", NURSE, "Nora", "Quinn"),
    ("frontdesk", "infuse-demo-desk", FRONT_DESK, "Felix", "Morgan"),
    ("admin", "infuse-demo-admin", CENTER_ADMIN, "Ada", "Brooks"),
    ("pharmacy", "infuse-demo-pharmacy", PHARMACY, "Paul", "Ito"),
]
NURSES = [
    ("Maria", "Santos"),
    ("James", "Okafor"),
    ("Linh", "Tran"),
    ("Rachel", "Goldberg"),
    ("David", "Kowalski"),
    ("Aisha", "Rahman"),
    ("Tom", "Becker"),
]
FIRST_NAMES = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "James",
    "Isabella",
    "William",
    "Mia",
    "Benjamin",
    "Charlotte",
    "Lucas",
    "Amelia",
    "Henry",
    "Harper",
    "Theodore",
    "Evelyn",
    "Jack",
    "Abigail",
    "Samuel",
    "Emily",
    "Daniel",
    "Elizabeth",
    "Michael",
    "Sofia",
    "Matthew",
    "Ella",
    "Joseph",
    "Grace",
    "Carmen",
    "Wei",
    "Priya",
    "Mohammed",
    "Fatima",
    "Hiroshi",
    "Yuki",
    "Ana",
    "Luis",
    "Kwame",
    "Ngozi",
    "Ivan",
    "Olga",
    "Siobhan",
    "Declan",
    "Mei",
    "Raj",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Chen",
    "Patel",
    "Kim",
    "O'Brien",
    "Murphy",
    "Sullivan",
    "Cohen",
    "Novak",
    "Haddad",
]
AREA_CODES = ("617", "781", "857")
CHAIR_FEATURES = [
    ["recliner", "pump"],
    ["recliner", "pump", "tv"],
    ["recliner", "pump", "near_station"],
    ["recliner", "pump", "wheelchair_access"],
]


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=dict)
    users: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, what: str, count: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + count


def _user(username: str, password: str, role: str, first: str, last: str, center: Center, report: SeedReport):
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, "is_staff": role == CENTER_ADMIN}
    )
    if created:
        user.set_password(password)
        user.save()
        report.add("users")
    user.groups.add(Group.objects.get(name=role))
    center.staff.add(user)
    return user


def seed_center(report: SeedReport) -> Center:
    center, created = Center.objects.get_or_create(
        name=CENTER_NAME,
        defaults={
            "timezone": TIMEZONE,
            "phone": "+16175550100",
            "address": "1 Riverside Drive, Boston, MA",
            "slot_minutes": 15,
            "patients_per_nurse": 4,
            "starts_per_nurse_per_window": 2,
            "start_window_minutes": 30,
        },
    )
    report.add("centers", created)
    for weekday in range(5):
        _, made = OpeningHours.objects.get_or_create(
            center=center, weekday=weekday, defaults={"opens": dt.time(7), "closes": dt.time(19)}
        )
        report.add("opening hours", made)
    for number in range(1, 25):
        features = list(CHAIR_FEATURES[number % len(CHAIR_FEATURES)])
        if number in (23, 24):
            features.append("isolation")
        if number <= 6:
            features.append("window")
        _, made = Chair.objects.get_or_create(
            center=center, label=f"C{number:02d}", defaults={"kind": "chair", "features": features}
        )
        report.add("chairs", made)
    for number in range(1, 5):
        features = ["pump", "near_station"] + (["isolation"] if number == 4 else [])
        _, made = Chair.objects.get_or_create(
            center=center, label=f"B{number}", defaults={"kind": "bed", "features": features}
        )
        report.add("beds", made)
    return center


def seed_staff(center: Center, report: SeedReport, days: list[dt.date]) -> None:
    for username, password, role, first, last in DEMO_USERS:
        _user(username, password, role, first, last, center, report)
        report.users.append((username, password, role))
    tz = zoneinfo.ZoneInfo(center.timezone)
    nurses = [
        _user(f"{first}.{last}".lower(), "infuse-demo-nurse", NURSE, first, last, center, report)
        for first, last in NURSES
    ]
    # Staggered shifts: early (07:00–15:30), mid (09:00–17:30), late (10:30–19:00).
    patterns = [(dt.time(7), dt.time(15, 30)), (dt.time(9), dt.time(17, 30)), (dt.time(10, 30), dt.time(19))]
    for day in days:
        for index, nurse in enumerate(nurses):
            if (index + day.toordinal()) % 7 == 0:
                continue  # one nurse off each day, rotating
            begins, ends = patterns[index % 3]
            start = dt.datetime.combine(day, begins, tzinfo=tz)
            _, made = NurseShift.objects.get_or_create(
                center=center, nurse=nurse, start=start, defaults={"end": dt.datetime.combine(day, ends, tzinfo=tz)}
            )
            report.add("nurse shifts", made)


def seed_patients(center: Center, report: SeedReport, count: int = 300) -> list[Patient]:
    rng = random.Random(SEED)
    patients = []
    for number in range(count):
        first = FIRST_NAMES[number % len(FIRST_NAMES)]
        last = LAST_NAMES[(number * 7 + number // len(FIRST_NAMES)) % len(LAST_NAMES)]
        channel = rng.choice(
            [ReminderChannel.SMS] * 5
            + [ReminderChannel.EMAIL] * 2
            + [ReminderChannel.BOTH] * 2
            + [ReminderChannel.NONE]
        )
        email_name = f"{first}.{last}".lower().replace("'", "")
        defaults = {
            "center": center,
            "first_name": first,
            "last_name": last,
            "date_of_birth": dt.date(1938, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 62)),
            "phone": f"+1{AREA_CODES[number // 100 % 3]}55501{number % 100:02d}",
            "email": f"{email_name}{number}@example.org",
            "reminder_channel": channel,
            "has_reminder_consent": channel != ReminderChannel.NONE,
            "preferred_language": rng.choice(["en"] * 8 + ["es", "zh"]),
        }
        patient, made = Patient.objects.get_or_create(mrn=f"RNC{100000 + number}", defaults=defaults)
        report.add("patients", made)
        patients.append(patient)
    return patients


DEMO_ACKNOWLEDGEMENT = "Authorization pending: the center agreed to go ahead (demo)."


def seed_appointments(
    center: Center, patients: list[Patient], days: list[dt.date], booker: User, report: SeedReport, per_day: int = 36
) -> None:
    protocols = {p.code: p for p in Protocol.objects.filter(code__in=[code for code, _, _ in PROTOCOL_MIX])}
    mix = [entry for entry in PROTOCOL_MIX if entry[0] in protocols]
    weights = [weight for _, weight, _ in mix]
    rng = random.Random(SEED)
    for day in days:
        # One transaction per day: thousands of small commits made the first `dev.py run` slow.
        with transaction.atomic():
            _seed_day(center, patients, day, booker, report, per_day, protocols, mix, weights, rng)


def _seed_day(center, patients, day, booker, report, per_day, protocols, mix, weights, rng) -> None:
    day_rng = random.Random(f"{SEED}-{day.isoformat()}")
    tz = center.tzinfo
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    if Appointment.objects.filter(
        center=center, start__gte=day_start, start__lt=day_start + dt.timedelta(days=1)
    ).exists():
        return
    tried = 0
    for patient in day_rng.sample(patients, len(patients)):
        if tried == per_day:
            break
        protocol, dose = _next_demo_dose(patient, day, protocols, mix, weights)
        if protocol is None:
            continue  # too soon after this patient's last dose: another patient comes today
        tried += 1
        request = slot_request_for(
            protocol=protocol,
            dose_number=dose,
            date_from=day,
            date_to=day,
            preferred_time_of_day=day_rng.choice([None, None, "morning", "afternoon"]),
            limit=3,
        )
        result = planner.find_slots(planner_input_for(center=center, date_from=day, date_to=day), request)
        if not result.candidates:
            continue
        pick = result.candidates[min(len(result.candidates) - 1, rng.randrange(2))]
        chair = Chair.objects.get(pk=pick.chair_id)
        prepare_demo_dose(
            patient=patient, protocol=protocol, day=day, dose=dose, actor=booker, today=timezone.localdate()
        )
        try:
            appointment = book_appointment(
                actor=booker,
                patient=patient,
                protocol=protocol,
                chair=chair,
                start=pick.start,
                dose_number=dose,
                allow_past=True,  # the demo's week began on Monday
            )
        except SchedulingError:
            continue
        report.add("appointments")
        if day < timezone.localdate(timezone=tz):
            _play_past_visit(appointment, booker, day_rng)


def _next_demo_dose(patient, day, protocols, mix, weights):
    """The patient's one demo series: a protocol and a first dose fixed by the MRN, then the next dose number.

    Keeps every series consistent (dose numbers rising with the dates, never closer than the label
    allows: ``dose_rules``), which a random dose per visit did not (natalizumab dose 5 after dose 8).
    """
    from scheduling.dose_rules import min_days_before

    rng = random.Random(f"{SEED}-series-{patient.mrn}")
    code, _, doses = rng.choices(mix, weights=weights)[0]
    protocol = protocols[code]
    last = (
        Appointment.objects.filter(patient=patient, protocol=protocol, status__in=Appointment.BLOCKING_STATUSES)
        .order_by("-dose_number")
        .first()
    )
    if last is None:
        return protocol, rng.choice(doses)
    dose = last.dose_number + 1
    gap = (day - last.start.astimezone(patient.center.tzinfo).date()).days
    if gap < (min_days_before(protocol, dose) or 1):
        return None, None
    return protocol, dose


def _play_past_visit(appointment: Appointment, nurse: User, rng: random.Random) -> None:
    """Walk a past appointment through the day as it might have gone, so wait times have history.

    About one in twenty-five is a no-show; the others arrive a little early or late, wait for a
    chair, and go through infusion (never shorter than the protocol says) and observation.
    """
    protocol = appointment.protocol
    minutes = dt.timedelta(minutes=1)
    if rng.random() < 0.04:
        grace = appointment.start + appointment.center.noshow_grace_minutes * minutes
        transition(actor=nurse, appointment=appointment, action="no_show", now=grace + 5 * minutes)
        return
    arrived = appointment.start + rng.randint(-20, 15) * minutes
    seated = max(arrived, appointment.start) + rng.choice([0, 2, 5, 8, 12, 20, 35]) * minutes
    infusing = seated + (protocol.setup_minutes + protocol.premedication_minutes) * minutes
    observing = infusing + round(protocol.infusion_minutes(appointment.dose_number) * rng.uniform(1.0, 1.15)) * minutes
    steps = [("check_in", arrived), ("seat", seated), ("start_infusion", infusing)]
    if protocol.observation_minutes:
        steps.append(("start_observation", observing))
    steps.append(("complete", observing + protocol.observation_minutes * minutes))
    from chairside.demo import document_before

    for action, moment in steps:
        try:
            document_before(appointment=appointment, action=action, nurse=nurse, moment=moment, rng=rng)
            appointment = transition(
                actor=nurse, appointment=appointment, action=action, now=moment, readiness_reason=DEMO_ACKNOWLEDGEMENT
            )
        except SchedulingError:
            return  # held at the chair (not ready): the visit stays where it stopped


def working_days(start: dt.date, count: int) -> list[dt.date]:
    days, day = [], start
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def seed_demo(
    *, today: dt.date, with_appointments: bool = True, days: int = 10, per_day: int = 36, patients: int = 300
) -> SeedReport:
    """Build (or complete) the demo center; the booked working days (two weeks) start on this week's Monday."""
    report = SeedReport()
    with transaction.atomic():
        seed_protocols_created = seed_protocols()
        report.add("protocols", seed_protocols_created)
        center = seed_center(report)
        monday = today - dt.timedelta(days=today.weekday())
        booked_days = working_days(monday, days)
        seed_staff(center, report, booked_days)
        seed_series_shifts(center=center, after=booked_days[-1])
        registered = seed_patients(center, report, count=patients)
        from regimens.library import seed_demo_weights

        report.add("weights", seed_demo_weights(registered, today=today))
    if with_appointments:
        booker = User.objects.get(username="nurse")
        seed_appointments(center, registered, booked_days, booker, report, per_day=per_day)
    return report
