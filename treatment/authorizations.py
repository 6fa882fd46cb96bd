"""The one door of the prior-authorization workflow: stages, tentative holds, medication history.

* :func:`record_stage` is the only writer of ``AuthorizationStage`` rows and of the authorization's
  ``stage`` and ``status``: it locks the authorization, asks ``treatment.stages`` whether the stage may
  follow, checks the stage's details, derives the status readiness reads, keeps who and why in the
  authorization's history, and on approval confirms the tentative holds (through the appointment state
  machine, so reminders start then) and on withdrawal releases them.
* :func:`place_hold` books a tentative first dose through ``scheduling.services.book_appointment`` with
  the status ``pending``: every planner rule, the lock on the center's day and the exclusion constraint
  apply, it counts against capacity, and reminders are not planned for it.
* :func:`release_due_holds` (Celery beat) releases holds still pending ``AUTHORIZATION_HOLD_RELEASE_DAYS``
  days before their date.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from chairs.models import Chair
from chairs.roles import Actor
from chairs.selectors import local_today
from patients.models import Patient
from scheduling import services as scheduling_services
from scheduling.errors import ActionNotPermitted, BookingRefused, InvalidTransition, Reason
from scheduling.models import Appointment, AppointmentStatus
from treatment import stages as workflow
from treatment.errors import StageNotAllowed
from treatment.models import (
    AuthorizationStage,
    AuthorizationStatus,
    MedicationHistory,
    PriorAuthorization,
    Stage,
    TentativeHold,
)
from treatment.services import plan_changed_hooks


def hold_release_days() -> int:
    return int(getattr(settings, "AUTHORIZATION_HOLD_RELEASE_DAYS", 3))


def _label(stage: str) -> str:
    return Stage(stage).label if stage in Stage.values else "not yet submitted"


@transaction.atomic
def record_stage(
    *,
    actor: Actor,
    authorization: PriorAuthorization,
    stage: str,
    occurred_on: dt.date | None = None,
    due_on: dt.date | None = None,
    peer_to_peer_at: dt.datetime | None = None,
    reviewer: str = "",
    outcome: str = "",
    denial_reason: str = "",
    note: str = "",
    approved_from: dt.date | None = None,
    approved_until: dt.date | None = None,
    approved_visits: int | None = None,
    reference_number: str = "",
    today: dt.date | None = None,
) -> AuthorizationStage:
    """Record the next stage of an authorization, or refuse it (``StageNotAllowed``, or a ValidationError
    naming the field)."""
    authorization = (
        PriorAuthorization.objects.select_for_update(of=("self",))
        .select_related("patient__center", "order")
        .get(pk=authorization.pk)
    )
    center = authorization.patient.center
    today = today or local_today(center=center)
    rows = list(authorization.stages.order_by("occurred_on", "pk"))
    history = [r.stage for r in rows]
    if authorization.status in (AuthorizationStatus.NOT_REQUIRED, AuthorizationStatus.EXPIRED):
        raise StageNotAllowed(
            f"This authorization is marked {authorization.get_status_display().lower()}; "
            "record a new authorization for a new request."
        )
    current = workflow.current_stage(stage=authorization.stage, status=authorization.status)
    allowed = workflow.allowed_next(current=current, history=history)
    if stage not in Stage.values:
        raise ValidationError({"stage": f"Unknown stage “{stage}”."})
    if stage not in allowed:
        nexts = ", ".join(_label(s).lower() for s in allowed) or "nothing (the workflow is closed)"
        raise StageNotAllowed(
            f"Cannot record “{_label(stage).lower()}”: the authorization stands at “{_label(current).lower()}”; "
            f"what may follow is {nexts}."
        )
    occurred_on = occurred_on or today
    _check_dates(occurred_on=occurred_on, due_on=due_on, today=today, previous=rows[-1] if rows else None)
    details = _stage_details(
        stage=stage,
        center_tz=center.tzinfo,
        peer_to_peer_at=peer_to_peer_at,
        reviewer=reviewer.strip(),
        outcome=outcome,
        denial_reason=denial_reason,
        approved_from=approved_from,
        approved_until=approved_until,
        previous=rows[-1] if rows else None,
    )
    slot_day = peer_to_peer_at.astimezone(center.tzinfo).date() if peer_to_peer_at else None
    row = AuthorizationStage.objects.create(
        authorization=authorization,
        stage=stage,
        occurred_on=occurred_on,
        due_on=due_on
        or workflow.default_due_on(stage=stage, occurred_on=occurred_on, history=[*history, stage], slot_day=slot_day),
        note=note.strip(),
        recorded_by=actor,
        **details,
    )
    authorization.stage = stage
    authorization.status = workflow.status_for(stage)
    if stage == Stage.APPROVED:
        authorization.approved_from, authorization.approved_until = approved_from, approved_until
        authorization.approved_visits = approved_visits
    if reference_number.strip():
        authorization.reference_number = reference_number.strip()[:64]
    authorization._history_user = actor  # type: ignore[attr-defined]  # django-simple-history
    authorization._change_reason = f"{Stage(stage).label} ({occurred_on:%Y-%m-%d})"  # type: ignore[attr-defined]
    authorization.full_clean(exclude=["patient", "order", "created_by"])
    authorization.save()
    for hook in plan_changed_hooks:  # webhooks hear of a stage like of any other change of the authorization
        hook("saved", authorization)
    if stage == Stage.APPROVED:
        confirm_holds(authorization, actor=actor)
    elif stage == Stage.WITHDRAWN:
        _release_holds(authorization, actor=actor, reason="Prior authorization withdrawn.")
    return row


def _check_dates(*, occurred_on: dt.date, due_on: dt.date | None, today: dt.date, previous) -> None:
    if occurred_on > today:
        raise ValidationError({"occurred_on": "A stage is recorded when it has happened, not ahead."})
    if previous is not None and occurred_on < previous.occurred_on:
        raise ValidationError(
            {"occurred_on": f"The previous stage is dated {previous.occurred_on:%Y-%m-%d}; this one cannot be earlier."}
        )
    if due_on is not None and due_on < occurred_on:
        raise ValidationError({"due_on": "The next step cannot be due before this stage happened."})


def _stage_details(
    *, stage, center_tz, peer_to_peer_at, reviewer, outcome, denial_reason, approved_from, approved_until, previous
) -> dict:
    """The fields each stage needs (and only those), or a ValidationError naming the missing one."""
    from treatment.models import DenialReason, PeerToPeerOutcome

    if stage == Stage.P2P_SCHEDULED:
        if peer_to_peer_at is None:
            raise ValidationError({"peer_to_peer_at": "Give the date and time of the peer-to-peer review."})
        if timezone.is_naive(peer_to_peer_at):
            raise ValidationError({"peer_to_peer_at": "The time must include a time zone offset."})
        return {"peer_to_peer_at": peer_to_peer_at, "reviewer": reviewer}
    if stage == Stage.P2P_HELD:
        reviewer = reviewer or (previous.reviewer if previous is not None else "")
        if not reviewer:
            raise ValidationError({"reviewer": "Name the payer's reviewer the review was held with."})
        if outcome not in PeerToPeerOutcome.values:
            raise ValidationError({"outcome": "Choose the outcome of the peer-to-peer review."})
        return {"reviewer": reviewer, "outcome": outcome}
    if stage == Stage.DENIED:
        if denial_reason not in DenialReason.values:
            raise ValidationError({"denial_reason": "Choose the payer's reason for the denial."})
        return {"denial_reason": denial_reason}
    if stage == Stage.APPROVED:
        if approved_from is None or approved_until is None:
            raise ValidationError({"approved_until": "An approval needs its approved date range."})
        if approved_until < approved_from:
            raise ValidationError({"approved_until": "The approval cannot end before it starts."})
    return {}


def _open_holds(authorization: PriorAuthorization):
    return (
        TentativeHold.objects.filter(authorization=authorization, appointment__status=AppointmentStatus.PENDING)
        .select_related("appointment")
        .order_by("appointment__start")
    )


def confirm_holds(authorization: PriorAuthorization, *, actor: Actor) -> None:
    """Book the holds the approval covers (reminders are planned then); the others wait for their release."""
    for hold in _open_holds(authorization):
        try:
            with transaction.atomic():
                scheduling_services.transition(actor=actor, appointment=hold.appointment, action="confirm_hold")
        except (InvalidTransition, ActionNotPermitted):
            continue  # not covered by the approval's dates (or no staff actor): released on time by the task


def _release_holds(authorization: PriorAuthorization, *, actor: Actor, reason: str) -> None:
    for hold in _open_holds(authorization):
        scheduling_services.transition(actor=actor, appointment=hold.appointment, action="release_hold", reason=reason)


# --- Tentative holds -----------------------------------------------------------------------------


@transaction.atomic
def place_hold(*, actor: Actor, authorization: PriorAuthorization, chair: Chair, start: dt.datetime) -> Appointment:
    """Hold the order's first dose at ``start`` on ``chair`` while the authorization is pending."""
    authorization = PriorAuthorization.objects.select_related("order__protocol", "patient__center").get(
        pk=authorization.pk
    )
    order, center = authorization.order, authorization.patient.center
    if authorization.status != AuthorizationStatus.PENDING:
        raise BookingRefused(
            [
                Reason(
                    "authorization_not_pending",
                    f"Only a pending authorization gets a tentative hold; this one is "
                    f"{authorization.get_status_display().lower()}.",
                )
            ]
        )
    if not order.is_active:
        raise BookingRefused([Reason("order_inactive", "The doctor's order is discontinued.")])
    if timezone.is_aware(start):
        days = hold_release_days()
        release_on = start.astimezone(center.tzinfo).date() - dt.timedelta(days=days)
        if release_on <= local_today(center=center):
            raise BookingRefused(
                [
                    Reason(
                        "hold_too_soon",
                        f"A hold is released {days} days before its date unless approved; "
                        f"hold a date after {release_on + dt.timedelta(days=days):%Y-%m-%d}.",
                    )
                ]
            )
    appointment = scheduling_services.book_appointment(
        actor=actor,
        patient=authorization.patient,
        protocol=order.protocol,
        chair=chair,
        start=start,
        dose_number=order.first_dose_number,
        status=AppointmentStatus.PENDING,
        notes=f"Tentative hold: prior authorization with {authorization.payer} pending.",
    )
    TentativeHold.objects.create(authorization=authorization, appointment=appointment, created_by=actor)
    return appointment


def release_on(appointment: Appointment) -> dt.date:
    """The local day a hold is released unless its authorization is approved by then."""
    return appointment.start.astimezone(appointment.center.tzinfo).date() - dt.timedelta(days=hold_release_days())


def release_due_holds(*, now: dt.datetime | None = None) -> int:
    """Release every hold still pending on or after its release day (safe to run twice); returns how many."""
    now = now or timezone.now()
    released = 0
    holds = TentativeHold.objects.filter(
        appointment__status=AppointmentStatus.PENDING,
        appointment__start__lt=now + dt.timedelta(days=hold_release_days() + 2),
    ).select_related("appointment__center")
    for hold in holds:
        appointment = hold.appointment
        if release_on(appointment) > local_today(center=appointment.center, now=now):
            continue
        try:
            scheduling_services.transition(
                actor=None,
                appointment=appointment,
                action="release_hold",
                now=now,
                reason=f"Prior authorization not approved {hold_release_days()} days before the date.",
            )
        except InvalidTransition:
            continue  # confirmed or cancelled meanwhile
        released += 1
    return released


# --- Medication history ---------------------------------------------------------------------------


@transaction.atomic
def save_medication(*, actor: Actor, entry: MedicationHistory, patient: Patient) -> MedicationHistory:
    entry.patient = patient
    if entry.pk is None:
        entry.recorded_by = actor
    entry.full_clean(exclude=["patient", "recorded_by"])
    entry._history_user = actor  # type: ignore[attr-defined]
    entry.save()
    return entry


@transaction.atomic
def delete_medication(*, actor: Actor, entry: MedicationHistory) -> None:
    entry._history_user = actor  # type: ignore[attr-defined]
    entry.delete()
