"""python manage.py build_templates [--center ID] [--weeks N] [--mix MINUTES=PATIENTS ...] [--work W] [--seconds S]"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from booking_templates.services import build_center_templates
from chairs.models import Center
from scheduling.models import Protocol

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class Command(BaseCommand):
    help = "Build each center's booking templates from its last weeks of bookings, or from a declared mix."

    def add_arguments(self, parser):
        parser.add_argument("--center", type=int, help="only this center (id)")
        parser.add_argument("--weeks", type=int, default=settings.BOOKING_TEMPLATE_WEEKS)
        parser.add_argument(
            "--work",
            type=float,
            default=settings.BOOKING_TEMPLATE_WORK,
            help="CP-SAT deterministic time per weekday (the same input gives the same template)",
        )
        parser.add_argument(
            "--seconds",
            type=float,
            default=settings.BOOKING_TEMPLATE_SECONDS,
            help="wall-clock safety cap per weekday (a solve it stops may differ next time)",
        )
        parser.add_argument(
            "--mix",
            nargs="+",
            metavar="PROTOCOL=PATIENTS",
            help="a new center's declared mix: protocol code (or chair minutes) = patients a day, e.g. ocr=3 nat=4",
        )

    def handle(self, *args, **options):
        centers = Center.objects.all()
        if options["center"]:
            centers = centers.filter(pk=options["center"])
            if not centers:
                raise CommandError(f"No center with id {options['center']}.")
        mix = _parse_mix(options["mix"]) if options["mix"] else None
        for center in centers:
            today = timezone.now().astimezone(center.tzinfo).date()
            results = build_center_templates(
                center=center,
                today=today,
                weeks=options["weeks"],
                declared_mix=mix,
                work=options["work"],
                seconds=options["seconds"],
            )
            for r in results:
                version = f"v{r.template.version}, {r.template.patients} starts" if r.template else "none"
                self.stdout.write(f"{center}: {WEEKDAYS[r.weekday]}: {r.outcome} ({version})")


def _parse_mix(items: list[str]) -> dict[int, float]:
    mix: dict[int, float] = {}
    for item in items:
        name, _, count = item.partition("=")
        try:
            patients = float(count)
        except ValueError:
            raise CommandError(f"--mix {item}: give PROTOCOL=PATIENTS, e.g. ocr=3") from None
        if name.isdigit():
            minutes = int(name)
        else:
            protocol = Protocol.objects.filter(code=name).first()
            if protocol is None:
                raise CommandError(f"--mix {item}: no protocol with code {name!r}")
            # A maintenance dose: the chair time most visits of this protocol take.
            minutes = protocol.chair_minutes(protocol.initial_dose_count + 1)
        mix[minutes] = mix.get(minutes, 0.0) + patients
    return mix
