"""Reads of the prior-authorization workflow: where an authorization stands and what is next, the work
queue's tasks (overdue first), the step-therapy check, the holds, and an order's time to treatment.

The work queue's tasks load in three queries whatever the number of authorizations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch

from chairs.models import Center
from chairs.selectors import local_today
from scheduling.models import Appointment, AppointmentStatus
from treatment import stages as workflow
from treatment import step_therapy
from treatment.models import (
    AuthorizationStage,
    AuthorizationStatus,
    MedicationHistory,
    Order,
    PriorAuthorization,
    Stage,
    StepTherapyRule,
    TentativeHold,
)

OPEN_STATUSES = (AuthorizationStatus.PENDING, AuthorizationStatus.DENIED)


@dataclass(frozen=True)
class Workflow:
    current: str
    allowed: tuple[str, ...]
    stages: list[AuthorizationStage]
    next_action: workflow.NextAction | None
    appeal_level: int

    @property
    def allowed_choices(self) -> list[tuple[str, str]]:
        return [(s, Stage(s).label) for s in self.allowed]


def workflow_of(authorization: PriorAuthorization, *, stages: list[AuthorizationStage] | None = None) -> Workflow:
    """Where the authorization stands, what may be recorded next, and the coordinator's next action."""
    center = authorization.patient.center
    rows = stages if stages is not None else list(authorization.stages.select_related("recorded_by"))
    history = [r.stage for r in rows]
    current = workflow.current_stage(stage=authorization.stage, status=authorization.status)
    latest = rows[-1] if rows else None
    detail = ""
    if latest is not None and latest.stage == Stage.P2P_SCHEDULED and latest.peer_to_peer_at:
        detail = f"{latest.peer_to_peer_at.astimezone(center.tzinfo):%Y-%m-%d %H:%M}"
        detail += f" with {latest.reviewer}" if latest.reviewer else ""
    action = workflow.next_action(
        current=current,
        status=authorization.status,
        history=history,
        due_on=latest.due_on if latest is not None else None,
        created_on=authorization.created_at.astimezone(center.tzinfo).date(),
        detail=detail,
    )
    return Workflow(
        current=current,
        allowed=workflow.allowed_next(current=current, history=history)
        if authorization.status not in (AuthorizationStatus.NOT_REQUIRED, AuthorizationStatus.EXPIRED)
        else (),
        stages=rows,
        next_action=action,
        appeal_level=workflow.appeal_level(history),
    )


@dataclass(frozen=True)
class AuthorizationTask:
    authorization: PriorAuthorization
    action: workflow.NextAction
    is_overdue: bool
    days_left: int

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)


def authorization_tasks(*, center: Center, today: dt.date | None = None) -> list[AuthorizationTask]:
    """Every open authorization's next action at the center: overdue first, then by due date."""
    today = today or local_today(center=center)
    authorizations = (
        PriorAuthorization.objects.filter(patient__center=center, order__is_active=True, status__in=OPEN_STATUSES)
        .select_related("patient__center", "order__protocol")
        .prefetch_related(Prefetch("stages", queryset=AuthorizationStage.objects.order_by("occurred_on", "pk")))
    )
    tasks = []
    for authorization in authorizations:
        action = workflow_of(authorization, stages=list(authorization.stages.all())).next_action
        if action is not None:
            tasks.append(AuthorizationTask(authorization, action, action.is_overdue(today), action.days_left(today)))
    tasks.sort(key=lambda t: (not t.is_overdue, t.action.due_on, t.authorization.pk))
    return tasks


def step_therapy_of(
    authorization: PriorAuthorization, *, today: dt.date | None = None
) -> step_therapy.StepTherapyStatus:
    """Whether the patient's medication history meets the payer's steps for the order's protocol."""
    today = today or local_today(center=authorization.patient.center)
    rules = list(
        StepTherapyRule.objects.filter(protocol_id=authorization.order.protocol_id, is_active=True).order_by(
            "position", "pk"
        )
    )
    wanted = step_therapy.rules_for(payer=authorization.payer, protocol_id=authorization.order.protocol_id, rules=rules)
    history = list(MedicationHistory.objects.filter(patient_id=authorization.patient_id))
    return step_therapy.evaluate(rules=wanted, history=history, today=today)


def holds_of(authorization: PriorAuthorization) -> list[TentativeHold]:
    return list(
        TentativeHold.objects.filter(authorization=authorization)
        .select_related("appointment__chair", "appointment__center")
        .order_by("appointment__start")
    )


# --- Time to treatment ---------------------------------------------------------------------------

# Visits that reached the chair: the first of them is the first dose.
TREATED = ("checked-in", "fulfilled")


@dataclass(frozen=True)
class TimeToTreatment:
    ordered_on: dt.date
    submitted_on: dt.date | None
    approved_on: dt.date | None
    first_dose_on: dt.date | None
    order_id: int | None = None

    @staticmethod
    def _days(begin: dt.date | None, end: dt.date | None) -> int | None:
        return (end - begin).days if begin is not None and end is not None else None

    @property
    def to_submission(self) -> int | None:
        return self._days(self.ordered_on, self.submitted_on)

    @property
    def submission_to_approval(self) -> int | None:
        return self._days(self.submitted_on, self.approved_on)

    @property
    def approval_to_first_dose(self) -> int | None:
        return self._days(self.approved_on, self.first_dose_on)

    @property
    def to_first_dose(self) -> int | None:
        return self._days(self.ordered_on, self.first_dose_on)


def time_to_treatment_of(order: Order) -> TimeToTreatment:
    """Days from the order (its start date) to the first submission, the first approval and the first dose.

    Submission and approval are the first such stages of any of the order's authorizations; the first
    dose is the earliest visit of the patient and protocol on or after the order date that reached a chair.
    """
    tz = order.patient.center.tzinfo
    stages = AuthorizationStage.objects.filter(authorization__order=order)
    submitted = stages.filter(stage=Stage.SUBMITTED).order_by("occurred_on").values_list("occurred_on", flat=True)
    approved = stages.filter(stage=Stage.APPROVED).order_by("occurred_on").values_list("occurred_on", flat=True)
    first = (
        Appointment.objects.filter(
            patient_id=order.patient_id,
            protocol_id=order.protocol_id,
            chair_start_at__isnull=False,
            status__in=(AppointmentStatus.CHECKED_IN, AppointmentStatus.FULFILLED),
        )
        .order_by("start")
        .values_list("start", flat=True)
    )
    first_dose = next((s.astimezone(tz).date() for s in first if s.astimezone(tz).date() >= order.start_date), None)
    return TimeToTreatment(order.start_date, submitted.first(), approved.first(), first_dose, order.pk)
