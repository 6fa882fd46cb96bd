from django.core.management.base import BaseCommand
from django.utils import timezone

from insights.demo_history import seed_demo_history
from scheduling.demo import seed_demo


class Command(BaseCommand):
    help = "Build a realistic demo infusion center (idempotent: running it again changes nothing)."

    def add_arguments(self, parser):
        parser.add_argument("--no-appointments", action="store_true", help="Skip booking the two demo weeks.")

    def handle(self, *args, **options):
        report = seed_demo(today=timezone.localdate(), with_appointments=not options["no_appointments"])
        if not options["no_appointments"]:
            history = seed_demo_history(today=timezone.localdate())  # eight played-through weeks for the insights
            if history.appointments:
                report.add("history appointments", history.appointments)
        if report.created:
            for what, count in sorted(report.created.items()):
                self.stdout.write(f"  created {count} {what}")
        else:
            self.stdout.write("  nothing to create: the demo data is already there")
        self.stdout.write(self.style.SUCCESS("Demo users (username / password / role):"))
        for username, password, role in report.users:
            self.stdout.write(f"  {username:<10} {password:<20} {role}")
