"""Front desk and treatment floor: arrivals, the waiting room, patients in chairs, late arrivals, flow report.

Every button is a POST to :func:`flow_action`, which calls the one state
machine (``services.transition``) and maps its refusals to a message. With
htmx the action answers with the messages only and fires ``flowChanged``, on
which each list re-fetches itself; without JavaScript it redirects back. The
lists also poll, so a second screen (the waiting room on a wall) stays current.

Front-desk staff check in, undo a check-in, mark no-shows and cancel; the
clinical steps (seat, start infusion, start observation, discharge) and moving
a late patient are for nurses (and center administrators).

It runs past 400 lines because it holds the five pages of one desk (arrivals, waiting room, in
chairs, late arrival, the report) and the one action view they post to; the reads are in
``selectors`` and ``reports``.
"""

from __future__ import annotations

import csv
import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chairs.models import Center
from chairs.roles import CENTER_ADMIN, NURSE, has_role
from chairs.selectors import center_for, centers_for, chairs_for, local_today
from chairside.errors import ChairSideRefused
from chairside.gates import VITALS_POST_MISSING
from frontdesk import reports
from frontdesk import selectors as flow
from scheduling import dose_rules
from scheduling.errors import EarlyDischarge, SchedulingError
from scheduling.models import Appointment, CancelledBy
from scheduling.planner_input import planner_input_for
from scheduling.selectors import appointment_for
from scheduling.services import (
    ACTION_LABELS,
    TRANSITIONS,
    allowed_actions,
    move_appointment,
    noshow_allowed_from,
    transition,
)
from scheduling.slot_search import find_candidates, seat_choices
from treatment.readiness import readiness_for
from treatment.services import readiness_required

READINESS_PARTIAL = "treatment/_readiness_badge.html"
LIST_REFRESH_SECONDS = 30
DESK_ACTIONS = ("check_in", "undo_check_in", "no_show", "cancel")
NURSE_ACTIONS = ("seat", "start_infusion", "start_observation", "complete", "enter_in_error")
LATE_CANDIDATE_LIMIT = 8
REPORT_DAYS = 30


# --- Helpers shared by the pages -------------------------------------------------------------------


def is_nurse(user) -> bool:
    """Nurses (and center administrators) do the clinical steps; asked once per request."""
    if not hasattr(user, "_is_nurse"):
        user._is_nurse = has_role(user, NURSE, CENTER_ADMIN)
    return user._is_nurse


def slot_finder_url(**params) -> str:
    """The nurses' slot finder (falls back to its planned path while it is not routed)."""
    try:
        base = reverse("slot_finder")
    except NoReverseMatch:
        base = "/find-slot/"
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{base}?{query}" if query else base


def _chosen_center(request) -> Center | None:
    return center_for(user=request.user, center_id=request.GET.get("center"))


def _no_center(request):
    return render(request, "frontdesk/no_center.html")


def _row(appointment: Appointment, *, nurse: bool, now: dt.datetime, late: dict[int, str]) -> dict:
    """What one list row shows: the appointment, the buttons this user (nurse or not) may press, and warnings."""
    possible = allowed_actions(appointment)
    actions = [a for a in possible if a in DESK_ACTIONS or (nurse and a in NURSE_ACTIONS and a != "enter_in_error")]
    noshow_at = noshow_allowed_from(appointment)
    if "no_show" in actions and now < noshow_at:
        actions.remove("no_show")
    return {
        "appointment": appointment,
        "actions": [(a, ACTION_LABELS[a]) for a in actions if a != "cancel"],
        "can_cancel": "cancel" in actions,
        "noshow_from": noshow_at if "no_show" in possible and now < noshow_at else None,
        "late": late.get(appointment.pk),
    }


def _add_readiness(rows: list[dict], *, today: dt.date) -> None:
    """Attach each not-yet-treated appointment's readiness (orders, authorization, checks) for its badge,
    and what the chair will hold (``dose_rules.chair_gate``) for the reason field next to the button."""
    from scheduling.models import ChairStage

    pending = [
        r["appointment"]
        for r in rows
        if r["appointment"].status in flow.NOT_SEATED or r["appointment"].chair_stage == ChairStage.IN_CHAIR
    ]
    readiness = readiness_for(pending, today=today)
    for row in rows:
        appointment = row["appointment"]
        found = readiness.get(appointment.pk)
        row["readiness"] = found if appointment.status in flow.NOT_SEATED else None
        open_items = [*found.missing, *found.on_the_day] if found and readiness_required() else []
        if appointment.chair_check_reason:
            open_items = [i for i in open_items if i.code not in appointment.chair_check_codes]
        row["open_items"] = [item.message for item in open_items]
        row["needs_override"] = any(not item.is_acknowledgeable for item in open_items)


def _common(request, center: Center, **extra) -> dict:
    return {
        "center": center,
        "centers": centers_for(user=request.user),
        "is_nurse": is_nurse(request.user),
        "readiness_partial": READINESS_PARTIAL,
        "refresh_seconds": LIST_REFRESH_SECONDS,
        "idle_seconds": settings.SESSION_COOKIE_AGE,
        "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        "cancelled_by_choices": CancelledBy.choices,
        **extra,
    }


# --- Arrivals today -------------------------------------------------------------------------------


@require_GET
@permission_required("scheduling.view_appointment", raise_exception=True)
def arrivals(request):
    center = _chosen_center(request)
    if center is None:
        return _no_center(request)
    now = timezone.now()
    query = request.GET.get("q", "").strip()[:100]
    appointments = flow.arrivals(center=center, now=now, query=query)
    late = flow.late_arrival_problems(center=center, appointments=appointments, now=now)
    today = local_today(center=center, now=now)
    nurse = is_nurse(request.user)
    rows = [_row(a, nurse=nurse, now=now, late=late) for a in appointments]
    _add_readiness(rows, today=today)
    context = _common(
        request,
        center,
        rows=rows,
        counts=flow.day_counts(center=center, now=now),
        query=query,
        now=now,
        today=today,
        back=f"{reverse('arrivals')}?{urlencode({'center': center.pk, 'q': query})}",
        walk_in_url=slot_finder_url(center=center.pk, date_from=today.isoformat(), date_to=today.isoformat()),
    )
    if request.htmx and request.htmx.target == "arrivals-list":
        return render(request, "frontdesk/_arrivals_table.html", context)
    return render(request, "frontdesk/arrivals.html", context)


# --- Waiting room ---------------------------------------------------------------------------------


def _seat_choices(*, center: Center, waiting: list[flow.WaitingPatient], now: dt.datetime) -> dict[int, list]:
    """For each waiting appointment, the chairs it may be seated on: its own, then other free ones that fit."""
    if not waiting:
        return {}
    today = local_today(center=center, now=now)
    pin = planner_input_for(center=center, date_from=today, date_to=today)
    return seat_choices(
        appointments=[entry.appointment for entry in waiting], chairs=list(chairs_for(center=center)), pin=pin
    )


@require_GET
@permission_required("scheduling.view_appointment", raise_exception=True)
def waiting_room(request):
    center = _chosen_center(request)
    if center is None:
        return _no_center(request)
    now = timezone.now()
    waiting = flow.waiting_room(center=center, now=now)
    late = flow.late_arrival_problems(center=center, appointments=[w.appointment for w in waiting], now=now)
    nurse = is_nurse(request.user)
    seat_choices = _seat_choices(center=center, waiting=waiting, now=now) if nurse else {}
    rows = []
    for entry in waiting:
        row = _row(entry.appointment, nurse=nurse, now=now, late=late)
        row.update(waited=entry.waited_minutes, level=entry.level, chairs=seat_choices.get(entry.appointment.pk, []))
        rows.append(row)
    _add_readiness(rows, today=local_today(center=center, now=now))
    context = _common(
        request,
        center,
        rows=rows,
        now=now,
        warning_minutes=flow.WAIT_WARNING_MINUTES,
        danger_minutes=flow.WAIT_DANGER_MINUTES,
        list_url=f"{reverse('waiting_room')}?{urlencode({'center': center.pk})}",
        back=f"{reverse('waiting_room')}?{urlencode({'center': center.pk})}",
    )
    if request.htmx and request.htmx.target == "waiting-list":
        return render(request, "frontdesk/_waiting_table.html", context)
    return render(request, "frontdesk/waiting_room.html", context)


# --- Patients in chairs (nurses) --------------------------------------------------------------------


@require_GET
@permission_required("scheduling.view_appointment", raise_exception=True)
def in_chairs(request):
    center = _chosen_center(request)
    if center is None:
        return _no_center(request)
    now = timezone.now()
    nurse = is_nurse(request.user)
    rows = []
    for appointment in flow.in_chairs(center=center, now=now):
        row = _row(appointment, nurse=nurse, now=now, late={})
        seated = appointment.chair_start_at or now
        row["expected_end"] = seated + dt.timedelta(minutes=appointment.chair_minutes)
        row["is_overdue"] = now > row["expected_end"]
        rows.append(row)
    _add_readiness(rows, today=flow.local_today(center=center, now=now))
    context = _common(
        request,
        center,
        rows=rows,
        now=now,
        list_url=f"{reverse('in_chairs')}?{urlencode({'center': center.pk})}",
        back=f"{reverse('in_chairs')}?{urlencode({'center': center.pk})}",
    )
    if request.htmx and request.htmx.target == "chairs-list":
        return render(request, "frontdesk/_in_chairs_table.html", context)
    return render(request, "frontdesk/in_chairs.html", context)


# --- One step of the flow ----------------------------------------------------------------------------


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _feedback(request, fallback: str, *, late_url: str | None = None):
    """Answer an action: messages only for htmx (lists refresh on flowChanged), else a redirect."""
    if request.htmx:
        response = render(request, "frontdesk/_feedback.html", {"late_url": late_url})
        response["HX-Trigger"] = "flowChanged"
        return response
    return redirect(_back(request, fallback))


DISCHARGE_QUESTIONS = {
    # what the discharge was refused for: (the question, the partial that asks it)
    "early_discharge": ("Discharge early?", "frontdesk/_early_discharge.html"),
    VITALS_POST_MISSING: ("Discharge without vital signs?", "frontdesk/_no_vitals_discharge.html"),
}


def _discharge_question(request, appointment: Appointment, code: str, message: str):
    """Ask for what a discharge needs said first: why the patient leaves before the protocol's time is
    over, or why no post-observation vital signs could be taken (nothing was changed)."""
    question, partial = DISCHARGE_QUESTIONS[code]
    context = {
        "appointment": appointment,
        "message": message,
        "back": request.POST.get("next", ""),
        "early_reason": request.POST.get("early_reason", "").strip()[:255],
        "question": question,
        "partial": partial,
    }
    if request.htmx:
        return render(request, partial, context, status=200)
    return render(request, "frontdesk/discharge_question.html", context, status=409)


@require_POST
@permission_required("scheduling.change_appointment", raise_exception=True)
def flow_action(request, pk: int, action: str):
    appointment = appointment_for(user=request.user, pk=pk)
    fallback = f"{reverse('arrivals')}?{urlencode({'center': appointment.center_id})}"
    if action not in TRANSITIONS or action not in (*DESK_ACTIONS, *NURSE_ACTIONS):
        messages.error(request, "That is not a step of the patient flow.")
        return _feedback(request, fallback)
    if action in NURSE_ACTIONS and not is_nurse(request.user):
        raise PermissionDenied("Only nurses can do this step.")
    name = appointment.patient.full_name
    options = {}
    if action == "cancel":
        reason = request.POST.get("reason", "").strip()
        if not reason:
            messages.error(request, f"Give a reason to cancel {name}'s appointment.")
            return _feedback(request, fallback)
        options = {"reason": reason, "cancelled_by": request.POST.get("cancelled_by", "")}
    if action == "enter_in_error":
        options = {"reason": request.POST.get("reason", "")}
    if action in dose_rules.CHAIR_STEPS:
        options["readiness_reason"] = request.POST.get("readiness_reason", "")[:255]
    if action == "complete":
        options = {
            "reason": request.POST.get("early_reason", "").strip()[:255],
            "vitals_waiver": request.POST.get("vitals_waiver", "").strip()[:255],
        }
    if action == "seat" and request.POST.get("chair"):
        chair = chairs_for(center=appointment.center).filter(pk=_int(request.POST["chair"])).first()
        if chair is None:
            messages.error(request, "That chair is not in service at this center.")
            return _feedback(request, fallback)
        if chair.pk != appointment.chair_id:
            options["chair"] = chair
    try:
        appointment = transition(actor=request.user, appointment=appointment, action=action, **options)
    except EarlyDischarge as error:
        return _discharge_question(request, appointment, "early_discharge", error.message)
    except SchedulingError as error:
        if isinstance(error, ChairSideRefused) and [r.code for r in error.reasons] == [VITALS_POST_MISSING]:
            return _discharge_question(request, appointment, VITALS_POST_MISSING, error.reasons[0].message)
        messages.error(request, f"{name}: {error.message}")
        return _feedback(request, fallback)
    messages.success(request, _done_message(appointment, action))
    late_url = None
    if action == "check_in":
        problem = flow.late_arrival_problems(center=appointment.center, appointments=[appointment], now=timezone.now())
        if problem:
            late_url = reverse("late_arrival", args=[appointment.pk])
            messages.warning(
                request, f"Late arrival: {problem[appointment.pk]} A nurse can move it to a time that fits."
            )
    return _feedback(request, fallback, late_url=late_url)


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _done_message(appointment: Appointment, action: str) -> str:
    name = appointment.patient.full_name
    local = timezone.localtime(timezone.now(), appointment.center.tzinfo)
    return {
        "check_in": f"{name} is checked in ({local:%H:%M}).",
        "undo_check_in": f"{name}'s check-in was undone.",
        "no_show": f"{name} is marked as a no-show.",
        "cancel": f"{name}'s appointment is cancelled.",
        "seat": f"{name} is seated in {appointment.chair.label}.",
        "start_infusion": f"{name}: infusion started ({local:%H:%M}).",
        "start_observation": f"{name}: observation started ({local:%H:%M}).",
        "complete": f"{name} is discharged ({local:%H:%M}).",
        "enter_in_error": f"{name}'s appointment is marked as entered in error.",
    }[action]


# --- Late arrival --------------------------------------------------------------------------------


def _remaining_fits(appointment: Appointment, *, now: dt.datetime):
    today = local_today(center=appointment.center, now=now)
    return find_candidates(
        center=appointment.center,
        protocol=appointment.protocol,
        dose_number=appointment.dose_number,
        date_from=today,
        date_to=today,
        patient=appointment.patient,
        exclude_appointment_id=appointment.pk,
        limit=LATE_CANDIDATE_LIMIT,
        now=now,
    )


@require_http_methods(["GET", "POST"])
@permission_required("scheduling.view_appointment", raise_exception=True)
def late_arrival(request, pk: int):
    """Say whether a late patient still fits, and offer today's remaining fits (a nurse moves it)."""
    appointment = appointment_for(user=request.user, pk=pk)
    center = appointment.center
    if request.method == "POST":
        if not (is_nurse(request.user) and request.user.has_perm("scheduling.change_appointment")):
            raise PermissionDenied("Only nurses can move an appointment.")
        chair = chairs_for(center=center).filter(pk=_int(request.POST.get("chair", ""))).first()
        start = _parse_start(request.POST.get("start", ""))
        if chair is None or start is None:
            messages.error(request, "That time is no longer valid; choose one of the fits below.")
        else:
            try:
                appointment = move_appointment(actor=request.user, appointment=appointment, chair=chair, start=start)
            except SchedulingError as error:
                messages.error(request, f"Not moved: {error.message} Here are the fits that remain.")
            else:
                local = timezone.localtime(appointment.start, center.tzinfo)
                messages.success(
                    request, f"{appointment.patient.full_name} is moved to {chair.label} at {local:%H:%M} today."
                )
                return redirect(f"{reverse('waiting_room')}?{urlencode({'center': center.pk})}")
        return redirect("late_arrival", pk=appointment.pk)
    now = timezone.now()
    problem = flow.late_arrival_problems(center=center, appointments=[appointment], now=now).get(appointment.pk)
    result = _remaining_fits(appointment, now=now) if appointment.status in flow.NOT_SEATED else None
    today = local_today(center=center, now=now)
    context = _common(
        request,
        center,
        appointment=appointment,
        problem=problem,
        candidates=result.candidates if result else [],
        day_reasons=[r for d in (result.days if result else []) for r in d.reasons],
        can_move=appointment.status in flow.NOT_SEATED and not appointment.chair_stage,
        now=now,
        back=f"{reverse('waiting_room')}?{urlencode({'center': center.pk})}",
        can_cancel="cancel" in allowed_actions(appointment),
        other_day_url=slot_finder_url(
            center=center.pk,
            patient=appointment.patient_id,
            protocol=appointment.protocol_id,
            dose_number=appointment.dose_number,
            date_from=(today + dt.timedelta(days=1)).isoformat(),
            date_to=(today + dt.timedelta(days=14)).isoformat(),
        ),
    )
    return render(request, "frontdesk/late_arrival.html", context)


def _parse_start(text: str) -> dt.datetime | None:
    try:
        start = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return start if timezone.is_aware(start) else None


# --- Flow report ---------------------------------------------------------------------------------


def _report_range(request, center: Center) -> tuple[dt.date, dt.date]:
    today = local_today(center=center, now=timezone.now())
    try:
        date_to = dt.date.fromisoformat(request.GET.get("to", ""))
    except ValueError:
        date_to = today
    try:
        date_from = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        date_from = date_to - dt.timedelta(days=REPORT_DAYS - 1)
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    return date_from, min(date_to, date_from + dt.timedelta(days=366))


@require_GET
@permission_required("scheduling.view_appointment", raise_exception=True)
def flow_report(request):
    """Waits (arrival → chair), on-time starts and actual vs scheduled chair minutes."""
    center = _chosen_center(request)
    if center is None:
        return _no_center(request)
    date_from, date_to = _report_range(request, center)
    rows = reports.flow_rows(center=center, date_from=date_from, date_to=date_to)
    noshows = reports.noshow_counts(center=center, date_from=date_from, date_to=date_to)
    if request.GET.get("format") == "csv":
        noshow_rows = [
            reports.appointment_flow(a)
            for a in reports.noshow_appointments(center=center, date_from=date_from, date_to=date_to)
        ]
        return _report_csv(center, sorted(rows + noshow_rows, key=lambda r: r.appointment.start), date_from, date_to)
    query = urlencode({"center": center.pk, "from": date_from.isoformat(), "to": date_to.isoformat()})
    context = _common(
        request,
        center,
        rows=rows,
        summary=reports.protocol_summary(rows, noshows),
        overall=reports.overall_summary(rows, noshows),
        date_from=date_from,
        date_to=date_to,
        on_time_grace=reports.ON_TIME_GRACE_MINUTES,
        csv_url=f"{reverse('flow_report')}?{query}&format=csv",
    )
    return render(request, "frontdesk/flow_report.html", context)


def _report_csv(center: Center, rows, date_from: dt.date, date_to: dt.date) -> HttpResponse:
    """Staff-only file: names and MRNs are in it, as the desk needs them to follow up (no-shows included)."""
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="patient-flow-{date_from}-{date_to}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "appointment",
            "patient",
            "MRN",
            "booked start",
            "protocol",
            "protocol name",
            "dose",
            "chair",
            "status",
            "arrived",
            "in chair",
            "infusion start",
            "observation start",
            "discharged",
            "wait minutes",
            "start delay minutes",
            "on time",
            "scheduled minutes",
            "actual minutes",
        ]
    )

    def local(moment):
        return timezone.localtime(moment, center.tzinfo).strftime("%Y-%m-%d %H:%M") if moment else ""

    for row in rows:
        a = row.appointment
        writer.writerow(
            [
                a.pk,
                a.patient.full_name,
                a.patient.mrn,
                local(a.start),
                a.protocol.code,
                a.protocol.name,
                a.dose_number,
                a.chair.label,
                a.status,
                local(a.arrived_at),
                local(a.chair_start_at),
                local(a.infusion_start_at),
                local(a.observation_start_at),
                local(a.discharged_at),
                row.wait_minutes if row.wait_minutes is not None else "",
                row.start_delay_minutes if row.start_delay_minutes is not None else "",
                {True: "yes", False: "no", None: ""}[row.is_on_time],
                row.scheduled_minutes,
                row.actual_minutes if row.actual_minutes is not None else "",
            ]
        )
    return response
