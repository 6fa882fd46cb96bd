"""Every change to an appointment goes through this module.

Booking and moving take a transaction-scoped advisory lock on the center and
the local day (``pg_advisory_xact_lock``, with a short lock timeout) so that
two bookings for the same center and day are checked one after the other:
nurse start and watch capacity are center-wide, so locking only the chair
would let two parallel bookings on different chairs together exceed a cap,
while bookings on different days cannot affect each other's caps and run in
parallel. Under the lock the planner re-checks the placement with fresh data, then
the row is written; the database's exclusion constraint is the last line of
defence against a double-booked chair.

Status changes go through :func:`transition`, the one state machine: it
validates the move, stamps the time, records who made it (django-simple-history
keeps every version with its user) and keeps reminders in step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from chairs.models import Center, Chair
from chairs.roles import CENTER_ADMIN, FRONT_DESK, NURSE, Actor, roles_of
from chairside import gates as chairside_gates
from patients.models import Patient
from regimens.dosing import remembering_patient_facts
from scheduling import chair_preference, dose_rules
from scheduling.errors import (  # noqa: F401  (CenterBusy is re-exported for callers)
    ActionNotPermitted,
    BookingRefused,
    CenterBusy,
    ChairUnavailable,
    EarlyDischarge,
    InvalidTransition,
    Reason,
    refusal,
)
from scheduling.locking import (
    BUSY_MESSAGE,
    LOCK_NOT_AVAILABLE,
    LOCK_TIMEOUT_MS,
    center_day_key,
    lock_center_days,
    lock_statement,
    refusing_races,
    sqlstate,
)
from scheduling.models import Appointment, AppointmentStatus, CancelledBy, ChairStage, Protocol
from scheduling.planner_input import booking_input_for, check_dose_placement, fixed_input_for, placement_span
from scheduling.protocol_settings import protocol_for_center
from treatment.services import guard_booking, guard_hold_confirmation

# Callbacks run inside the same transaction after any appointment change
# (reminders register here so that their outbox rows move with the booking).
appointment_changed_hooks: list[Callable[[Appointment], None]] = []


def _run_hooks(appointment: Appointment) -> None:
    for hook in appointment_changed_hooks:
        hook(appointment)


def _lock_center_day(center: Center, moment: dt.datetime) -> None:
    """Serialize bookings of one center and local day for the rest of the transaction."""
    if timezone.is_naive(moment):
        return  # refused by the placement check that follows
    lock_center_days([center_day_key(center, moment)], timeout_ms=LOCK_TIMEOUT_MS)


def _save(appointment: Appointment, *, actor: Actor, update_fields: list[str] | None = None) -> None:
    appointment._history_user = actor  # type: ignore[attr-defined]  # django-simple-history
    appointment.save(update_fields=None if update_fields is None else [*update_fields, "updated_at"])


def _save_holding_chair(appointment: Appointment, *, actor) -> None:
    """Save an appointment that holds its chair; losing a race for the chair is SlotTaken naming chair and time."""
    with refusing_races(
        chair=appointment.chair,
        start=appointment.start,
        end=appointment.end,
        tzinfo=appointment.center.tzinfo,
        # Directly inside the service's own transaction a lost race ends it anyway: no savepoint needed.
        savepoint=len(connection.atomic_blocks) > 1,
    ):
        _save(appointment, actor=actor)


def refuse_past(start: dt.datetime, *, allowed: bool) -> None:
    if not allowed and timezone.is_aware(start) and start < timezone.now():
        raise BookingRefused([Reason("in_the_past", "That time has already passed; choose a time from now on.")])


@remembering_patient_facts()
def placement_refusals(
    *,
    center: Center,
    chair: Chair,
    protocol: Protocol,
    dose_number: int,
    start: dt.datetime,
    patient: Patient | None = None,
    exclude_appointment_id: int | None = None,
    lock: bool = False,
) -> list[Reason]:
    """Every reason the slot cannot be booked now (empty when it can).

    With ``lock`` the center-day lock is taken first, in the same round trip as the reads: what
    follows sees every booking committed before the lock was granted.
    """
    protocol = protocol_for_center(protocol, center)
    if timezone.is_naive(start):
        return [Reason("naive_datetime", "The start time must include a time zone offset.")]
    if chair.center_id != center.pk:
        return [Reason("chair_inactive_or_unknown", "That chair does not belong to this center.")]
    local_day = start.astimezone(center.tzinfo).date()
    # Only what the placement touches: the bookings and blocks from its start window to its end.
    rules = fixed_input_for(center.pk).rules(local_day, local_day)
    end = protocol.end_of(start, dose_number, patient)
    span = placement_span(rules, start, protocol.chair_minutes(dose_number, patient))
    lock_sql, lock_params = lock_statement(center_day_key(center, start)) if lock else ("", ())
    try:
        planner_input, patient_rows = booking_input_for(
            center=center,
            day=local_day,
            span=span,
            patient_id=patient.pk if patient is not None else None,
            protocol_id=protocol.pk,
            placement=(start, end),
            lock_sql=lock_sql,
            lock_params=lock_params,
        )
    except OperationalError as error:
        if lock and sqlstate(error) == LOCK_NOT_AVAILABLE:
            raise CenterBusy(BUSY_MESSAGE) from error
        raise
    reasons = [
        Reason(r.code, r.message)
        for r in check_dose_placement(
            planner_input,
            protocol=protocol,
            dose_number=dose_number,
            chair_id=chair.pk,
            start=start,
            exclude_appointment_id=exclude_appointment_id,
            patient=patient,
        )
    ]
    if patient is not None:
        others = [row for row in patient_rows if row.pk != exclude_appointment_id]
        if any(row.start < end and start < row.end for row in others):
            reasons.append(Reason("patient_busy", "The patient already has an appointment at that time."))
        reasons += chair_preference.chair_refusals(patient=patient, chair=chair)
        doses = sorted(
            (dose_rules.SeriesDose(row.pk, row.dose_number, row.start, row.status) for row in others if row.is_series),
            key=lambda dose: (dose.start, dose.pk),
        )
        reasons += dose_rules.dose_refusals(
            patient_id=patient.pk,
            protocol=protocol,
            dose_number=dose_number,
            start=start,
            tz=center.tzinfo,
            exclude_appointment_id=exclude_appointment_id,
            doses=doses,
        )
    return reasons


@transaction.atomic
@remembering_patient_facts()
def book_appointment(
    *,
    actor: Actor,
    patient: Patient,
    protocol: Protocol,
    chair: Chair,
    start: dt.datetime,
    dose_number: int = 1,
    notes: str = "",
    status: str = AppointmentStatus.BOOKED,
    readiness_override_reason: str = "",
    allow_past: bool = False,
) -> Appointment:
    """Book one appointment, re-checking every constraint under the lock on the center's day.

    A start that has already passed is refused (``allow_past`` is for loading history, e.g. the demo).

    The dose's readiness is checked too (``services_treatment.guard_booking``):
    what cannot be completed before the date refuses the booking unless a
    center admin gives ``readiness_override_reason``; what can still be
    completed comes back as ``appointment.readiness_warnings`` for the page.
    """
    center = chair.center
    protocol = protocol_for_center(protocol, center)
    if patient.center_id != center.pk:
        raise BookingRefused([Reason("patient_other_center", "The patient is registered at another center.")])
    if not protocol.is_active:
        raise BookingRefused([Reason("protocol_inactive", "This protocol is no longer offered.")])
    refuse_past(start, allowed=allow_past)
    if timezone.is_naive(start):
        raise refusal([Reason("naive_datetime", "The start time must include a time zone offset.")])
    patient.center = center  # the same row: the reminders' time zone needs it, without another query
    appointment = Appointment(
        center=center,
        patient=patient,
        protocol=protocol,
        chair=chair,
        start=start,
        end=protocol.end_of(start, dose_number, patient),
        dose_number=dose_number,
        status=status,
        booked_by=actor,
        notes=notes,
    )
    # Readiness (orders, authorizations, documents) does not depend on the center's day: it is read
    # before the lock, which then covers only the planner's re-check and the write. Its refusal is
    # raised after the placement's, as before, so a taken slot is still reported as taken.
    try:
        warnings, not_ready = (
            guard_booking(actor=actor, appointment=appointment, override_reason=readiness_override_reason),
            None,
        )
    except BookingRefused as error:
        warnings, not_ready = [], error
    reasons = placement_refusals(
        center=center, chair=chair, protocol=protocol, dose_number=dose_number, start=start, patient=patient, lock=True
    )
    if reasons:
        raise refusal(reasons)
    if not_ready is not None:
        raise not_ready
    _save_holding_chair(appointment, actor=actor)
    appointment.readiness_warnings = warnings  # type: ignore[attr-defined]  # for the page and the API
    appointment.is_fresh_booking = True  # type: ignore[attr-defined]  # no reminders to re-read (reminders hook)
    _run_hooks(appointment)
    return appointment


@transaction.atomic
@remembering_patient_facts()
def move_appointment(*, actor: Actor, appointment: Appointment, chair: Chair, start: dt.datetime) -> Appointment:
    """Move an appointment not yet in a chair; the old time is released only if the new one is booked.

    A patient who has arrived (late, say) but is not seated keeps their check-in.
    """
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    movable = appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.PENDING) or (
        appointment.status == AppointmentStatus.ARRIVED and not appointment.chair_stage
    )
    if not movable:
        raise InvalidTransition(f"A {appointment.get_status_display().lower()} appointment cannot be moved.")
    if chair.center_id != appointment.center_id:
        raise ChairUnavailable([Reason("chair_inactive_or_unknown", "That chair does not belong to this center.")])
    _lock_center_day(appointment.center, start)
    refuse_past(start, allowed=False)
    reasons = placement_refusals(
        center=appointment.center,
        chair=chair,
        protocol=appointment.protocol,
        dose_number=appointment.dose_number,
        start=start,
        patient=appointment.patient,
        exclude_appointment_id=appointment.pk,
    )
    if reasons:
        raise refusal(reasons)
    # What the move frees, for the hooks (the waitlist offers it; see waitlist/releases.py).
    appointment.freed_slot = (appointment.chair_id, appointment.start, appointment.end)  # type: ignore[attr-defined]
    appointment.times_before_move = (appointment.start, appointment.end)  # type: ignore[attr-defined]  # both days' availability is stale
    appointment.chair = chair
    appointment.start = start
    appointment.end = protocol_for_center(appointment.protocol, appointment.center_id).end_of(
        start, appointment.dose_number, appointment.patient
    )
    appointment.confirmed_at = None
    # A move is a new date for the dose: what cannot be ready by then refuses it, as for a booking
    # (a dose booked under a center admin's recorded override keeps that override).
    warnings = []
    if not appointment.readiness_override_reason:
        warnings = guard_booking(actor=actor, appointment=appointment)
    _save_holding_chair(appointment, actor=actor)
    appointment.readiness_warnings = warnings  # type: ignore[attr-defined]  # for the page and the API
    _run_hooks(appointment)
    return appointment


@transaction.atomic
def change_notes(*, actor, appointment: Appointment, notes: str) -> Appointment:
    """Change only the appointment's notes (the row is re-read under its lock, so no other field is overwritten)."""
    appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    appointment.notes = notes
    _save(appointment, actor=actor, update_fields=["notes"])
    return appointment


# --- The state machine -------------------------------------------------------------------------

BOOKED = AppointmentStatus.BOOKED
PENDING = AppointmentStatus.PENDING
ARRIVED = AppointmentStatus.ARRIVED
CHECKED_IN = AppointmentStatus.CHECKED_IN
FULFILLED = AppointmentStatus.FULFILLED
CANCELLED = AppointmentStatus.CANCELLED
NOSHOW = AppointmentStatus.NOSHOW
ERROR = AppointmentStatus.ENTERED_IN_ERROR
PROPOSED = AppointmentStatus.PROPOSED
WAITLIST = AppointmentStatus.WAITLIST

# action -> ((status, chair stage) it may start from, (status, chair stage) it leads to, timestamp field)
_ANY_STAGE = None
TRANSITIONS: dict[str, tuple[tuple[tuple[str, str | None], ...], tuple[str, str], str | None]] = {
    "confirm": (((BOOKED, ""),), (BOOKED, ""), "confirmed_at"),
    "check_in": (((BOOKED, ""),), (ARRIVED, ""), "arrived_at"),
    "undo_check_in": (((ARRIVED, ""),), (BOOKED, ""), None),
    "seat": (((ARRIVED, ""),), (CHECKED_IN, ChairStage.IN_CHAIR), "chair_start_at"),
    "start_infusion": (((CHECKED_IN, ChairStage.IN_CHAIR),), (CHECKED_IN, ChairStage.INFUSING), "infusion_start_at"),
    "start_observation": (
        ((CHECKED_IN, ChairStage.INFUSING),),
        (CHECKED_IN, ChairStage.OBSERVATION),
        "observation_start_at",
    ),
    "complete": (
        ((CHECKED_IN, ChairStage.INFUSING), (CHECKED_IN, ChairStage.OBSERVATION)),
        (FULFILLED, ""),
        "discharged_at",
    ),
    "no_show": (((BOOKED, ""),), (NOSHOW, ""), None),
    "cancel": (
        ((PROPOSED, ""), (PENDING, ""), (BOOKED, ""), (ARRIVED, ""), (WAITLIST, "")),
        (CANCELLED, ""),
        "cancelled_at",
    ),
    "enter_in_error": (
        tuple((s, _ANY_STAGE) for s in (PROPOSED, PENDING, BOOKED, ARRIVED, CHECKED_IN, FULFILLED, NOSHOW, WAITLIST)),
        (ERROR, ""),
        None,
    ),
    # A tentative hold (``pending``: a first dose held while its prior authorization is pending, see
    # ``treatment.models.TentativeHold``) is never confirmed by the patient, checked in or marked a
    # no-show: it becomes booked once the authorization is approved, or is released.
    "confirm_hold": (((PENDING, ""),), (BOOKED, ""), None),
    "release_hold": (((PENDING, ""),), (CANCELLED, ""), "cancelled_at"),
}
ACTION_LABELS = {
    "confirm": "Confirm",
    "check_in": "Check in",
    "undo_check_in": "Undo check-in",
    "seat": "Seat in chair",
    "start_infusion": "Start infusion",
    "start_observation": "Start observation",
    "complete": "Discharge",
    "no_show": "Mark no-show",
    "cancel": "Cancel",
    "enter_in_error": "Mark entered in error",
    "confirm_hold": "Confirm the tentative hold",
    "release_hold": "Release the tentative hold",
}


# Who may take each step. ``PATIENT`` is the patient acting through a reminder (an SMS reply or an
# email link: ``actor=None``); superusers may take every step.
PATIENT = "patient"
_STAFF = (NURSE, FRONT_DESK, CENTER_ADMIN)
_CLINICAL = (NURSE, CENTER_ADMIN)
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "confirm": (*_STAFF, PATIENT),
    "check_in": _STAFF,
    "undo_check_in": _STAFF,
    "seat": _CLINICAL,
    "start_infusion": _CLINICAL,
    "start_observation": _CLINICAL,
    "complete": _CLINICAL,
    "no_show": _STAFF,
    "cancel": (*_STAFF, PATIENT),
    "enter_in_error": _CLINICAL,
    "confirm_hold": _STAFF,
    # ``actor=None`` here is the release task (treatment.tasks.release_due_holds), never the patient, whose
    # reminder replies and links confirm or cancel only (and who is not told of a hold at all).
    "release_hold": (*_STAFF, PATIENT),
}
_ROLE_NAMES = {NURSE: "nurses", FRONT_DESK: "front-desk staff", CENTER_ADMIN: "center administrators"}


def actor_may(actor, action: str) -> bool:
    """Whether this actor's roles allow the step (``actor=None`` is the patient); see ACTION_ROLES."""
    allowed = ACTION_ROLES.get(action, ())
    if actor is None:
        return PATIENT in allowed
    if actor.is_superuser:
        return True
    return bool(roles_of(actor) & set(allowed))


def refuse_unless_actor_may(actor, *, action: str, appointment: Appointment) -> None:
    """The role check of the state machine: ActionNotPermitted unless the actor may take this step here.

    Staff must work at the appointment's center as well as hold one of the step's roles.
    """
    label = ACTION_LABELS.get(action, action).lower()
    if not actor_may(actor, action):
        who = ", ".join(_ROLE_NAMES[r] for r in ACTION_ROLES[action] if r in _ROLE_NAMES)
        raise ActionNotPermitted(f"Only {who} may {label}.")
    if actor is not None and not actor.is_superuser and not actor.centers.filter(pk=appointment.center_id).exists():
        raise ActionNotPermitted(f"You do not work at this appointment's center, so you may not {label}.")


_ANYONE = object()


def allowed_actions(appointment: Appointment, *, actor=_ANYONE) -> list[str]:
    """Actions the state machine allows from the appointment's current state (and to ``actor``, if given)."""
    here = (appointment.status, appointment.chair_stage or "")
    return [
        action
        for action, (sources, _, _) in TRANSITIONS.items()
        if any(s == here[0] and (stage is _ANY_STAGE or stage == here[1]) for s, stage in sources)
        and (actor is _ANYONE or actor_may(actor, action))
    ]


def noshow_allowed_from(appointment: Appointment) -> dt.datetime:
    return appointment.start + dt.timedelta(minutes=appointment.center.noshow_grace_minutes)


@transaction.atomic
def transition(
    *,
    actor: Actor,
    appointment: Appointment,
    action: str,
    reason: str = "",
    cancelled_by: str = "",
    now: dt.datetime | None = None,
    chair: Chair | None = None,
    readiness_reason: str = "",
    vitals_waiver: str = "",
) -> Appointment:
    """Apply one status change, or raise InvalidTransition saying why not.

    ``chair`` is for ``seat`` only: the nurse may seat the patient on another
    chair; the planner re-checks that chair for the booked time under the
    lock on the center's day and the appointment moves to it in the same transaction.

    ``seat`` and ``start_infusion`` hold a dose that is not ready
    (``dose_rules.chair_gate``): open readiness items refuse the step with the
    list (``NotReadyAtChair``) unless ``readiness_reason`` acknowledges them
    (a nurse, for acknowledgeable items) or overrides them (a center admin).

    ``complete`` without post-observation vital signs is refused unless ``vitals_waiver`` says why they
    could not be taken; ``reason`` is why the patient leaves before the protocol's time is over. Both
    are kept with this version in the history.
    """
    if action not in TRANSITIONS:
        raise InvalidTransition(f"Unknown action “{action}”.", code="unknown_action")
    refuse_unless_actor_may(actor, action=action, appointment=appointment)
    if chair is not None and action != "seat":
        raise InvalidTransition("A chair can be chosen only when seating the patient.", code="chair_not_expected")
    if vitals_waiver.strip() and action != "complete":
        raise InvalidTransition(
            "Why vital signs could not be taken is said only when discharging the patient.",
            code="vitals_waiver_not_expected",
        )
    now = now or timezone.now()
    appointment = Appointment.objects.select_for_update(of=("self",)).select_related("center").get(pk=appointment.pk)
    if action not in allowed_actions(appointment):
        stage = f" ({appointment.get_chair_stage_display().lower()})" if appointment.chair_stage else ""
        raise InvalidTransition(
            f"Cannot {ACTION_LABELS[action].lower()}: the appointment is "
            f"{appointment.get_status_display().lower()}{stage}."
        )
    if action == "no_show" and now < noshow_allowed_from(appointment):
        raise InvalidTransition(
            "A no-show can be recorded only after the grace period "
            f"({appointment.center.noshow_grace_minutes} minutes after the booked start).",
            code="noshow_too_early",
        )
    if action == "complete" and not reason.strip():
        due = earliest_discharge(appointment)
        if due is not None and now < due:
            raise EarlyDischarge(due_local=f"{due.astimezone(appointment.center.tzinfo):%H:%M}")
    if action == "cancel":
        if cancelled_by not in CancelledBy.values:
            raise InvalidTransition("Say whether the patient or the center cancelled.", code="cancelled_by_required")
        appointment.cancelled_by = cancelled_by
        appointment.cancel_reason = reason.strip()[:255]
    if action == "confirm_hold":
        guard_hold_confirmation(appointment=appointment)
    if action == "release_hold":
        appointment.cancelled_by = CancelledBy.CENTER
        appointment.cancel_reason = (reason.strip() or "Tentative hold released.")[:255]
    dose_rules.chair_gate(actor=actor, appointment=appointment, action=action, reason=readiness_reason, now=now)
    # Allergies at seating; dispensed dose, pre-medication given in time and vitals at start; vitals at discharge.
    waived = chairside_gates.chair_gate(appointment=appointment, action=action, now=now, vitals_waiver=vitals_waiver)
    if chair is not None and chair.pk != appointment.chair_id:
        _change_chair(appointment, chair=chair)
    _, (status, stage), stamp = TRANSITIONS[action]
    appointment.status = status
    appointment.chair_stage = stage
    if stamp:
        setattr(appointment, stamp, now)
    if action == "undo_check_in":
        appointment.arrived_at = None
    said = "; ".join(part for part in (reason.strip()[:255], waived[:300]) if part)
    if said and not getattr(appointment, "_change_reason", ""):
        appointment._change_reason = said  # type: ignore[attr-defined]  # kept with this version in the history
    _save_holding_chair(appointment, actor=actor)
    _run_hooks(appointment)
    return appointment


def earliest_discharge(appointment: Appointment) -> dt.datetime | None:
    """When the protocol's infusion and observation are over, counted from the infusion's start (or from
    seating plus pre-medication while the infusion has not started); None before the patient is seated."""
    protocol = protocol_for_center(appointment.protocol, appointment.center_id)
    if appointment.infusion_start_at is not None:
        begin = appointment.infusion_start_at
    elif appointment.chair_start_at is not None:
        begin = appointment.chair_start_at + dt.timedelta(minutes=protocol.premedication_minutes)
    else:
        return None
    from regimens.dosing import dose_plan  # the dose's own infusion and observation (ladder, band, reactions)

    plan = dose_plan(protocol=protocol, dose_number=appointment.dose_number, patient=appointment.patient)
    minutes = plan.infusion_minutes + plan.observation_minutes
    return begin + dt.timedelta(minutes=minutes)


def _change_chair(appointment: Appointment, *, chair: Chair) -> None:
    """Put the (locked) appointment on another chair for its booked time, if the planner allows it."""
    if chair.center_id != appointment.center_id or not chair.is_active:
        raise ChairUnavailable([Reason("chair_inactive_or_unknown", "That chair is not in service at this center.")])
    _lock_center_day(appointment.center, appointment.start)
    reasons = placement_refusals(
        center=appointment.center,
        chair=chair,
        protocol=appointment.protocol,
        dose_number=appointment.dose_number,
        start=appointment.start,
        exclude_appointment_id=appointment.pk,
        patient=appointment.patient,  # the dose's own length (regimens: weight band, ladder, reactions)
    ) + chair_preference.chair_refusals(patient=appointment.patient, chair=chair)
    if reasons:
        raise refusal(reasons)
    appointment.chair = chair


def cancel_appointment(*, actor: Actor, appointment: Appointment, cancelled_by: str, reason: str = "") -> Appointment:
    return transition(actor=actor, appointment=appointment, action="cancel", cancelled_by=cancelled_by, reason=reason)
