"""The demo seed behind `python3 dev.py run`: complete, idempotent, and every booking within the rules."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from scheduling import planner
from scheduling.demo import seed_demo
from scheduling.models import Appointment, AppointmentStatus
from scheduling.planner_input import planner_input_for


def test_seed_demo_is_complete_idempotent_and_within_every_rule(db, settings):
    settings.BOOKING_REQUIRES_ORDER = True  # as in production: the demo must bring its orders
    today = timezone.localdate() - dt.timedelta(days=7)  # last week: its visits are played through
    first = seed_demo(today=today, days=2, per_day=24, patients=60)
    appointments = Appointment.objects.count()
    assert appointments >= 40, first.created
    assert {username for username, _, _ in first.users} >= {"nurse", "frontdesk", "admin"}

    second = seed_demo(today=today, days=2, per_day=24, patients=60)
    assert Appointment.objects.count() == appointments
    assert not any(second.created.values()), second.created

    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert statuses <= {AppointmentStatus.FULFILLED, AppointmentStatus.NOSHOW}
    for visit in Appointment.objects.filter(status=AppointmentStatus.FULFILLED):
        assert visit.arrived_at <= visit.chair_start_at < visit.infusion_start_at < visit.discharged_at

    center = Appointment.objects.first().center
    monday = today - dt.timedelta(days=today.weekday())
    pin = planner_input_for(center=center, date_from=monday, date_to=monday + dt.timedelta(days=13))
    for appointment in Appointment.objects.active().select_related("protocol"):  # a no-show frees its chair
        refusals = planner.check_placement(
            pin,
            chair_id=appointment.chair_id,
            start=appointment.start,
            chair_minutes=appointment.protocol.chair_minutes(appointment.dose_number),
            required_kind=appointment.protocol.required_chair_kind or None,
            required_features=frozenset(appointment.protocol.required_features),
            exclude_appointment_id=appointment.pk,
        )
        assert refusals == [], (appointment, refusals)


def test_demo_series_are_consistent(db, settings):
    """Each patient's doses of a protocol rise with the dates, once each, never closer than the label allows."""
    from scheduling.dose_rules import min_days_before

    settings.BOOKING_REQUIRES_ORDER = True
    seed_demo(today=timezone.localdate(), days=10, per_day=20, patients=60)
    series: dict[tuple[int, int], list[Appointment]] = {}
    for appointment in Appointment.objects.active().select_related("protocol", "center").order_by("start"):
        series.setdefault((appointment.patient_id, appointment.protocol_id), []).append(appointment)
    assert any(len(doses) > 1 for doses in series.values())
    for doses in series.values():
        numbers = [d.dose_number for d in doses]
        assert numbers == sorted(set(numbers)), numbers
        for before, after in zip(doses, doses[1:], strict=False):
            gap = (
                after.start.astimezone(after.center.tzinfo).date()
                - before.start.astimezone(before.center.tzinfo).date()
            ).days
            assert gap >= (min_days_before(after.protocol, after.dose_number) or 0), (before, after)
