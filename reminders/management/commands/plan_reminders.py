"""Plan (or re-plan) reminders for every upcoming appointment, e.g. after importing appointments.

Bookings made through the booking service plan their reminders themselves; this is for
appointments that arrived another way, or after changing a center's reminder offsets.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from reminders.services import ACTIVE_FOR_REMINDERS, sync_reminders
from scheduling.models import Appointment


class Command(BaseCommand):
    help = "Create or update the pending reminders of every upcoming appointment."

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        appointments = Appointment.objects.filter(start__gt=now, status__in=ACTIVE_FOR_REMINDERS)
        count = 0
        for appointment in appointments.iterator():
            sync_reminders(appointment, now=now)
            count += 1
        self.stdout.write(f"Planned reminders for {count} upcoming appointment(s).")
