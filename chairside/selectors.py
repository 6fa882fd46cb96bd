"""Chair-side reads: the pharmacy queue, a dose's chair-side record, and waste for Insights."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from chairs.models import Center
from chairs.selectors import day_bounds
from chairside.gates import has_post_observation_vitals, pharmacy_dispenses
from chairside.models import DosePreparation, PreparationStatus
from regimens.dosing import DosePlan, regimen_rows
from regimens.selectors import dose_plans_for
from scheduling.models import Appointment, AppointmentStatus

QUEUE_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.PENDING,
    AppointmentStatus.ARRIVED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.FULFILLED,
    AppointmentStatus.NOSHOW,
)


@dataclass
class QueueRow:
    appointment: Appointment
    plan: DosePlan
    status: str
    status_label: str
    needed_at: dt.datetime  # the infusion starts: booked start + set-up + pre-medication
    prepare_by: dt.datetime  # needed_at − the pharmacy's lead time
    not_before: dt.datetime  # needed_at − the diluted drug's stability
    waste_reason: str

    @property
    def allowed_steps(self) -> list[str]:
        from chairside.services import PREPARATION_STEPS

        return [target for target, (sources, _) in PREPARATION_STEPS.items() if self.status in sources]


def pharmacy_queue(*, center: Center, day: dt.date) -> list[QueueRow]:
    """The day's pharmacy-prepared doses in the order they must be prepared (latest start of preparation first)."""
    start, end = day_bounds(center=center, day=day)
    appointments = list(
        Appointment.objects.filter(center=center, start__gte=start, start__lt=end, status__in=QUEUE_STATUSES)
        .select_related("patient", "protocol", "chair", "center", "preparation")
        .order_by("start")
    )
    # Every dose's plan in a fixed number of queries; its protocol's regimen rows are then cached on it.
    plans = dose_plans_for(appointments, tz=center.tzinfo)
    rows = []
    for appointment in appointments:
        regimen = regimen_rows(appointment.protocol).regimen
        if regimen is None or not regimen.is_prepared_by_pharmacy:
            continue
        plan = plans[appointment.pk]
        preparation = getattr(appointment, "preparation", None)
        status = preparation.status if preparation else PreparationStatus.TO_PREPARE
        needed = appointment.start + dt.timedelta(minutes=plan.setup_minutes + plan.premedication_minutes)
        rows.append(
            QueueRow(
                appointment=appointment,
                plan=plan,
                status=status,
                status_label=PreparationStatus(status).label,
                needed_at=needed,
                prepare_by=needed - dt.timedelta(minutes=regimen.preparation_lead_minutes),
                not_before=needed - dt.timedelta(minutes=regimen.stability_minutes),
                waste_reason=preparation.waste_reason if preparation else "",
            )
        )
    return sorted(rows, key=lambda r: (r.prepare_by, r.appointment.pk))


def wasted_doses(*, center: Center, date_from: dt.date, date_to: dt.date) -> dict[str, int]:
    """Doses wasted between two local days (inclusive): all, and those of no-shows after preparation.

    For Insights (the no-show view counts the doses a no-show wasted).
    """
    start, _ = day_bounds(center=center, day=date_from)
    _, end = day_bounds(center=center, day=date_to)
    totals = DosePreparation.objects.filter(
        appointment__center=center,
        appointment__start__gte=start,
        appointment__start__lt=end,
        status=PreparationStatus.WASTED,
    ).aggregate(wasted=Count("pk"), after_no_show=Count("pk", filter=Q(appointment__status=AppointmentStatus.NOSHOW)))
    return {"wasted": totals["wasted"], "after_no_show": totals["after_no_show"]}


def chairside_record(appointment: Appointment) -> dict[str, QuerySet]:
    return {
        "vitals": appointment.vitals.select_related("recorded_by").order_by("taken_at"),
        "reactions": appointment.reactions.select_related("recorded_by").order_by("onset_at"),
        "lots": appointment.drug_lots.order_by("recorded_at"),
        "rates": appointment.rates_given.order_by("started_at"),
    }


def must_be_dispensed(appointment: Appointment) -> bool:
    return pharmacy_dispenses(appointment)


@dataclass(frozen=True)
class VitalsDue:
    """The vital signs the nurse owes next: which phase, from when, and whether that time has passed."""

    phase: str
    due_at: dt.datetime
    is_overdue: bool

    def label(self, tz) -> str:
        what = {"pre": "Pre-infusion", "during": "During-infusion", "post": "Post-observation"}[self.phase]
        when = f"{self.due_at.astimezone(tz):%H:%M}"
        return f"{what} vitals overdue since {when}" if self.is_overdue else f"{what} vitals due {when}"


def vitals_due(appointment: Appointment, *, interval_minutes: int, now: dt.datetime) -> VitalsDue | None:
    """The next vital signs due (see :func:`vitals_due_at`); pre-infusion vitals are due from seating and
    overdue once the dose's booked infusion start has passed, post-observation vitals at the earliest
    discharge. None when nothing is owed (or the patient is not in the chair)."""
    if appointment.status != AppointmentStatus.CHECKED_IN:
        return None
    if appointment.chair_stage == "observation":
        from scheduling.services import earliest_discharge

        if has_post_observation_vitals(appointment):
            return None
        due = earliest_discharge(appointment) or now
        return VitalsDue("post", due, False)
    due_at = vitals_due_at(appointment, interval_minutes=interval_minutes)
    if due_at is None:
        return None
    phase = "pre" if appointment.infusion_start_at is None else "during"
    return VitalsDue(phase, due_at, now > due_at + dt.timedelta(minutes=VITALS_GRACE_MINUTES))


# A set of vitals a few minutes late is not yet overdue (the nurse is at another chair).
VITALS_GRACE_MINUTES = 5


def vitals_overdue(appointments: list[Appointment], *, now: dt.datetime) -> dict[int, dt.datetime]:
    """Infusing appointments whose during-infusion vitals are overdue: id → when they fell due.

    For the board's tiles: two queries (the protocols' intervals, the last vitals taken during each
    infusion), none when nobody is infusing."""
    from chairside.models import VitalSigns
    from regimens.models import Regimen

    infusing = [a for a in appointments if a.chair_stage == "infusing" and a.infusion_start_at is not None]
    if not infusing:
        return {}
    intervals = dict(
        Regimen.objects.filter(protocol_id__in={a.protocol_id for a in infusing}).values_list(
            "protocol_id", "vitals_interval_minutes"
        )
    )
    last: dict[int, dt.datetime] = {}
    for appointment_id, taken_at in VitalSigns.objects.filter(
        appointment_id__in=[a.pk for a in infusing if a.protocol_id in intervals], phase="during"
    ).values_list("appointment_id", "taken_at"):
        last[appointment_id] = max(taken_at, last.get(appointment_id, taken_at))
    overdue: dict[int, dt.datetime] = {}
    for a in infusing:
        started = a.infusion_start_at
        if a.protocol_id not in intervals or started is None:
            continue
        since = max(last.get(a.pk, started), started)
        due = since + dt.timedelta(minutes=intervals[a.protocol_id])
        if now > due + dt.timedelta(minutes=VITALS_GRACE_MINUTES):
            overdue[a.pk] = due
    return overdue


def vitals_due_at(appointment: Appointment, *, interval_minutes: int) -> dt.datetime | None:
    """When the next vital signs are due: before the infusion (now) once seated; during it every
    ``interval_minutes`` from its start or the last set taken during it; after observation at discharge.
    None when the patient is not in the chair."""
    if appointment.status != AppointmentStatus.CHECKED_IN:
        return None
    taken = list(appointment.vitals.order_by("taken_at").values_list("phase", "taken_at"))
    if appointment.infusion_start_at is None:
        return None if any(phase == "pre" for phase, _ in taken) else appointment.chair_start_at
    during = [at for phase, at in taken if phase == "during" and at >= appointment.infusion_start_at]
    last = max(during, default=appointment.infusion_start_at)
    return last + dt.timedelta(minutes=interval_minutes)
