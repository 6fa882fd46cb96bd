"""Nurses' booking pages: the chair board, the slot finder, booking, moving and cancelling.

Views stay thin: they parse input, call one selector or one service, and map
the scheduling errors (``BookingRefused``, ``SlotTaken``, ``CenterBusy``,
``InvalidTransition``) to a plain message on the page. Booking and moving never
trust what the page showed: the service re-checks everything under the
lock on the center's day, and when the slot has gone the nurse sees why and fresh
candidates for the same search.

It runs past 400 lines because it holds every nurses' booking page (board, slot finder, confirm,
appointment, move, cancel), each a thin handler; the reads are in ``selectors`` and ``slot_search``.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from chairs.models import Center
from chairs.selectors import center_for, centers_for, chairs_for, local_today
from patients.selectors import patients_for
from scheduling import planner
from scheduling.board_fragment import board_html
from scheduling.chair_preference import preferred_chair_ids
from scheduling.errors import BookingRefused, CenterBusy, InvalidTransition, SchedulingError
from scheduling.forms_booking import CancelForm, ChosenSlotForm, SlotSearchForm
from scheduling.models import Appointment, AppointmentStatus
from scheduling.protocol_settings import protocol_for_center
from scheduling.selectors import (
    READINESS_STATUSES,
    active_protocols,
    appointment_for,
    board_for,
    last_dose,
    status_history,
    week_for,
)
from scheduling.services import (
    allowed_actions,
    book_appointment,
    cancel_appointment,
    move_appointment,
    placement_refusals,
    refuse_past,
)
from scheduling.slot_search import find_candidates
from treatment.readiness import readiness_of
from treatment.services import can_override, readiness_required

BOARD_REFRESH_SECONDS = 20
CANDIDATE_LIMIT = 10
# Partials other apps provide.
READINESS_PARTIAL = "treatment/_readiness_badge.html"
REMINDERS_PARTIAL = "reminders/_appointment_reminders.html"
# Refusal codes that mean "someone else got there first".
TAKEN_CODES = {"chair_taken", "chairs_full"}


def _center_or_404(request, center_id) -> Center:
    center = center_for(user=request.user, center_id=center_id)
    if center is None:
        raise Http404("No such center.")
    return center


def _parse_day(text: str | None, center: Center) -> dt.date:
    if text:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    return local_today(center=center)


def _board_center_and_day(request) -> tuple[list[Center], Center, dt.date] | None:
    """The user's centers, the one asked for (404 if not theirs) and the day asked for (default: today
    there) — what every board view starts from; None when the user works at no center."""
    centers = list(centers_for(user=request.user))
    if not centers:
        return None
    asked = request.GET.get("center") or centers[0].pk
    try:  # the center is one of the user's: no second query for it
        center = next(c for c in centers if c.pk == int(asked))
    except (StopIteration, TypeError, ValueError):
        raise Http404("No such center.") from None
    return centers, center, _parse_day(request.GET.get("date"), center)


# --- Chair board ----------------------------------------------------------------------------------


@require_GET
@permission_required("scheduling.view_appointment", raise_exception=True)
def board(request):
    chosen = _board_center_and_day(request)
    if chosen is None:
        return render(request, "scheduling/booking/no_center.html", status=200)
    centers, center, day = chosen
    context = {
        "board_html": board_html(center=center, day=day),  # cached until something on it changes
        "centers": centers,
        "center": center,
        "day": day,
        "today": local_today(center=center),
        "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "refresh_seconds": BOARD_REFRESH_SECONDS,
        # Polling stops when the screen is idle, so the board never keeps an idle session alive.
        "idle_seconds": settings.SESSION_COOKIE_AGE,
        "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
        "query": urlencode({"center": center.pk, "date": day.isoformat()}),
    }
    if request.htmx and request.htmx.target == "board-live":
        return render(request, "scheduling/booking/_board_live.html", context)
    return render(request, "scheduling/booking/board.html", context)


@require_GET
@permission_required("scheduling.view_appointment", raise_exception=True)
def board_sheet(request):
    """The day sheet to print: every booking of the day by chair, with protocol, dose and readiness."""
    chosen = _board_center_and_day(request)
    if chosen is None:
        return render(request, "scheduling/booking/no_center.html", status=200)
    centers, center, day = chosen
    board_day = board_for(center=center, day=day)
    rows = [
        (row.chair, [item for item in row.items if item.appointment is not None])
        for group in board_day.groups
        for row in group.rows
    ]
    return render(
        request,
        "scheduling/booking/board_sheet.html",
        {
            "board": board_day,
            "center": center,
            "day": day,
            "rows": rows,
            "board_query": urlencode({"center": center.pk, "date": day.isoformat()}),
        },
    )


@require_GET
@permission_required("scheduling.view_appointment", raise_exception=True)
def board_week(request):
    """Chairs × days of one week: how full each chair and each morning and afternoon is."""
    chosen = _board_center_and_day(request)
    if chosen is None:
        return render(request, "scheduling/booking/no_center.html", status=200)
    centers, center, day = chosen
    week = week_for(center=center, day=day)
    return render(
        request,
        "scheduling/booking/board_week.html",
        {
            "week": week,
            "center": center,
            "centers": centers,
            "day": day,
            "previous_week": week.monday - dt.timedelta(days=7),
            "next_week": week.monday + dt.timedelta(days=7),
            "today": local_today(center=center),
        },
    )


# --- Slot finder ----------------------------------------------------------------------------------


def _find_slots(*, center: Center, form: SlotSearchForm, exclude_appointment_id: int | None = None):
    data = form.cleaned_data
    return find_candidates(
        center=center,
        protocol=data["protocol"],
        dose_number=data["dose_number"],
        date_from=data["date_from"],
        date_to=data["date_to"],
        patient=data.get("patient"),
        time_of_day=data.get("time_of_day") or "any",
        weekdays=form.weekday_set,
        exclude_appointment_id=exclude_appointment_id,
        limit=CANDIDATE_LIMIT,
    )


def _search_form(request, *, data, center: Center, appointment: Appointment | None = None) -> SlotSearchForm:
    patients = patients_for(user=request.user).filter(center=center)
    if appointment is not None:
        # Moving: who, what and which dose are fixed; only the time is searched.
        defaults = {
            "patient": appointment.patient_id,
            "protocol": appointment.protocol_id,
            "dose_number": appointment.dose_number,
            **SlotSearchForm.default_dates(local_today(center=center)),
            "time_of_day": "any",
        }
        bound = {**defaults, **{k: v for k, v in data.items() if k not in ("patient", "protocol", "dose_number")}}
        return SlotSearchForm(
            bound if data else None,
            initial=defaults,
            patients=patients,
            protocols=active_protocols(),
            fixed_patient=True,
        )
    initial = {**SlotSearchForm.default_dates(local_today(center=center)), "dose_number": 1}
    return SlotSearchForm(
        data if data.get("search") else None,
        initial={**initial, **{k: v for k, v in data.items() if k in ("patient", "protocol", "dose_number")}},
        patients=patients,
        protocols=active_protocols(),
    )


def _search_query(form: SlotSearchForm, center: Center) -> str:
    """The search as a query string, carried through the confirmation so fresh candidates can follow."""
    data = form.cleaned_data
    pairs = [
        ("center", center.pk),
        ("search", "1"),
        ("patient", data["patient"].pk),
        ("protocol", data["protocol"].pk),
        ("dose_number", data["dose_number"]),
        ("date_from", data["date_from"].isoformat()),
        ("date_to", data["date_to"].isoformat()),
        ("time_of_day", data.get("time_of_day") or "any"),
    ]
    pairs += [("weekdays", day) for day in data.get("weekdays") or []]
    return urlencode(pairs)


def _slot_finder_context(request, *, center: Center, form: SlotSearchForm, appointment: Appointment | None = None):
    context = {
        "center": center,
        "centers": list(centers_for(user=request.user)),
        "form": form,
        "appointment": appointment,
        "result": None,
        "search_query": "",
        "picked_patient": None,
    }
    if form.is_bound and form.is_valid():
        context["result"] = _find_slots(
            center=center, form=form, exclude_appointment_id=appointment.pk if appointment else None
        )
        context["search_query"] = _search_query(form, center)
        context["picked_patient"] = form.cleaned_data["patient"]
        context["preferred_chair_ids"] = preferred_chair_ids(center=center, patient=form.cleaned_data["patient"])
        if appointment is None and context["result"].candidates:
            first = context["result"].candidates[0]
            context["readiness"] = _dose_readiness(
                center=center,
                patient=form.cleaned_data["patient"],
                protocol=form.cleaned_data["protocol"],
                dose_number=form.cleaned_data["dose_number"],
                chair_id=first.chair_id,
                start=first.start,
            )
            context["readiness_partial"] = READINESS_PARTIAL
        context["chosen"] = {
            "protocol": form.cleaned_data["protocol"],
            "dose_number": form.cleaned_data["dose_number"],
            "chair_minutes": protocol_for_center(form.cleaned_data["protocol"], center).chair_minutes(
                form.cleaned_data["dose_number"], form.cleaned_data["patient"]
            ),
        }
    else:
        patient_id = form["patient"].value()
        if patient_id:
            context["picked_patient"] = patients_for(user=request.user).filter(pk=patient_id).first()
    return context


def _render_slot_finder(request, context, *, status: int = 200) -> HttpResponse:
    if request.htmx and request.htmx.target == "slot-results":
        return render(request, "scheduling/booking/_slot_results.html", context, status=status)
    return render(request, "scheduling/booking/slot_finder.html", context, status=status)


@require_GET
@permission_required("scheduling.add_appointment", raise_exception=True)
def slot_finder(request):
    center = _center_or_404(request, request.GET.get("center"))
    form = _search_form(request, data=request.GET, center=center)
    return _render_slot_finder(request, _slot_finder_context(request, center=center, form=form))


@require_GET
@permission_required("scheduling.add_appointment", raise_exception=True)
def slot_dose(request):
    """The dose-number field, suggesting the dose after the patient's last one of the chosen protocol."""
    patient = protocol = None
    try:
        patient = patients_for(user=request.user).filter(pk=int(request.GET.get("patient", ""))).first()
        protocol = active_protocols().filter(pk=int(request.GET.get("protocol", ""))).first()
    except ValueError:
        pass
    last = last_dose(patient_id=patient.pk, protocol_id=protocol.pk) if patient and protocol else None
    return render(
        request,
        "scheduling/booking/_dose_field.html",
        {"dose_value": last.dose_number + 1 if last else 1, "last_dose": last, "dose_errors": []},
    )


def _refusal_message(error: SchedulingError) -> str:
    if isinstance(error, CenterBusy):
        return error.message
    reasons = getattr(error, "reasons", [])
    if any(reason.code in TAKEN_CODES for reason in reasons):
        return (
            "Sorry, this slot was just taken by someone else. Nothing was booked. Here are the slots that are free now."
        )
    detail = " ".join(reason.message for reason in reasons) or error.message
    if reasons and all(reason.code in planner.REASON_MESSAGES for reason in reasons):
        return f"This slot can no longer be booked: {detail} Nothing was booked. Here are the slots that are free now."
    return f"This dose cannot be booked: {detail} Nothing was booked."


def _dose_readiness(*, center: Center, patient, protocol, dose_number: int, chair_id: int, start: dt.datetime):
    """Readiness of the dose as if booked at that time (order, authorization, checks before the dose)."""
    draft = Appointment(
        center=center,
        patient=patient,
        protocol=protocol,
        chair_id=chair_id,
        start=start,
        end=protocol_for_center(protocol, center).end_of(start, dose_number, patient),
        dose_number=dose_number,
    )
    return readiness_of(draft)


@require_http_methods(["GET", "POST"])
@permission_required("scheduling.add_appointment", raise_exception=True)
def slot_confirm(request):
    """Confirm one candidate (GET shows what will be booked; POST books it)."""
    data = request.POST if request.method == "POST" else request.GET
    center = _center_or_404(request, data.get("center"))
    search = _search_form(request, data=data, center=center)
    chosen = ChosenSlotForm(data, chairs=chairs_for(center=center))
    if not (search.is_valid() and chosen.is_valid()):
        messages.error(request, "That slot is no longer valid; please search again.")
        return redirect(f"{reverse('slot_finder')}?{urlencode({'center': center.pk})}")
    patient = search.cleaned_data["patient"]
    protocol = search.cleaned_data["protocol"]
    dose_number = search.cleaned_data["dose_number"]
    chair = chosen.cleaned_data["chair"]
    start = chosen.cleaned_data["start"]
    if request.method == "POST":
        try:
            appointment = book_appointment(
                actor=request.user,
                patient=patient,
                protocol=protocol,
                chair=chair,
                start=start,
                dose_number=dose_number,
                notes=request.POST.get("notes", "")[:2000],
                readiness_override_reason=request.POST.get("readiness_override_reason", "")[:255],
            )
        except SchedulingError as error:
            context = _slot_finder_context(request, center=center, form=search)
            context["refusal"] = _refusal_message(error)
            return _render_slot_finder(request, context, status=409)
        local = appointment.start.astimezone(center.tzinfo)
        messages.success(
            request,
            f"Booked {patient.full_name}: {protocol.code.upper()} dose {dose_number} on {chair.label}, "
            f"{local:%a %d %b %Y %H:%M}.",
        )
        for item in getattr(appointment, "readiness_warnings", []):
            messages.warning(request, f"To do before the dose: {item.message}")
        return redirect("appointment_detail", pk=appointment.pk)
    readiness = _dose_readiness(
        center=center, patient=patient, protocol=protocol, dose_number=dose_number, chair_id=chair.pk, start=start
    )
    return render(
        request,
        "scheduling/booking/slot_confirm.html",
        {
            "center": center,
            "patient": patient,
            "protocol": protocol,
            "dose_number": dose_number,
            "chair": chair,
            "start": start,
            "readiness": readiness,
            "readiness_partial": READINESS_PARTIAL,
            "is_blocked": bool(readiness.blocking) and readiness_required(),
            "can_override": can_override(request.user),
            "end": protocol_for_center(protocol, center).end_of(start, dose_number, patient),
            "search_query": _search_query(search, center),
            "search_fields": _search_query_pairs(search, center),
        },
    )


def _search_query_pairs(form: SlotSearchForm, center: Center) -> list[tuple[str, str]]:
    return parse_qsl(_search_query(form, center))


# --- Appointment ----------------------------------------------------------------------------------


@require_GET
@permission_required("scheduling.view_appointment", raise_exception=True)
def appointment_detail(request, pk: int):
    appointment = appointment_for(user=request.user, pk=pk)
    actions = allowed_actions(appointment)
    return render(
        request,
        "scheduling/booking/appointment_detail.html",
        {
            "appointment": appointment,
            "history": status_history(appointment=appointment),
            "can_move": appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.PENDING)
            and request.user.has_perm("scheduling.change_appointment"),
            "can_cancel": "cancel" in actions and request.user.has_perm("scheduling.change_appointment"),
            "readiness": readiness_of(appointment) if appointment.status in READINESS_STATUSES else None,
            "readiness_partial": READINESS_PARTIAL,
            "reminders_partial": REMINDERS_PARTIAL,
            "board_query": urlencode(
                {
                    "center": appointment.center_id,
                    "date": appointment.start.astimezone(appointment.center.tzinfo).date(),
                }
            ),
        },
    )


@require_GET
@permission_required("scheduling.change_appointment", raise_exception=True)
def appointment_move(request, pk: int):
    """The slot finder for this appointment's patient, protocol and dose, its own time left out."""
    appointment = appointment_for(user=request.user, pk=pk)
    if appointment.status not in (AppointmentStatus.BOOKED, AppointmentStatus.PENDING):
        messages.error(request, f"A {appointment.get_status_display().lower()} appointment cannot be moved.")
        return redirect("appointment_detail", pk=pk)
    form = _search_form(request, data=request.GET, center=appointment.center, appointment=appointment)
    if not form.is_bound:
        # Search at once: the nurse came here to see where it can go.
        form = _search_form(request, data={"search": "1"}, center=appointment.center, appointment=appointment)
    context = _slot_finder_context(request, center=appointment.center, form=form, appointment=appointment)
    return _render_slot_finder(request, context)


def _move_refusal(*, appointment: Appointment, chair, start: dt.datetime) -> str:
    """The move page's refusal message for this slot, or "" when the planner accepts it (nothing is written)."""
    try:
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
    except SchedulingError as error:
        return _refusal_message(error).replace("Nothing was booked.", "The appointment was not moved.")
    if not reasons:
        return ""
    return _refusal_message(BookingRefused(reasons)).replace("Nothing was booked.", "The appointment was not moved.")


@require_http_methods(["GET", "POST"])
@permission_required("scheduling.change_appointment", raise_exception=True)
def appointment_move_confirm(request, pk: int):
    appointment = appointment_for(user=request.user, pk=pk)
    center = appointment.center
    data = request.POST if request.method == "POST" else request.GET
    search = _search_form(request, data=data, center=center, appointment=appointment)
    chosen = ChosenSlotForm(data, chairs=chairs_for(center=center))
    if not (search.is_valid() and chosen.is_valid()):
        messages.error(request, "That slot is no longer valid; please search again.")
        return redirect("appointment_move", pk=pk)
    chair = chosen.cleaned_data["chair"]
    start = chosen.cleaned_data["start"]
    if request.method == "POST":
        try:
            move_appointment(actor=request.user, appointment=appointment, chair=chair, start=start)
        except InvalidTransition as error:
            messages.error(request, error.message)
            return redirect("appointment_detail", pk=pk)
        except (BookingRefused, SchedulingError) as error:
            context = _slot_finder_context(request, center=center, form=search, appointment=appointment)
            context["refusal"] = _refusal_message(error).replace(
                "Nothing was booked.", "The appointment was not moved."
            )
            return _render_slot_finder(request, context, status=409)
        local = start.astimezone(center.tzinfo)
        messages.success(request, f"Moved to {chair.label}, {local:%a %d %b %Y %H:%M}. The old time is free again.")
        return redirect("appointment_detail", pk=pk)
    if data.get("from") == "board":
        # Dropped on the board: the planner checks the slot before the nurse is asked to confirm.
        refusal = _move_refusal(appointment=appointment, chair=chair, start=start)
        if refusal:
            context = _slot_finder_context(request, center=center, form=search, appointment=appointment)
            context["refusal"] = refusal
            return _render_slot_finder(request, context, status=409)
    return render(
        request,
        "scheduling/booking/slot_confirm.html",
        {
            "center": center,
            "appointment": appointment,
            "patient": appointment.patient,
            "protocol": appointment.protocol,
            "dose_number": appointment.dose_number,
            "chair": chair,
            "start": start,
            "end": protocol_for_center(appointment.protocol, center).end_of(
                start, appointment.dose_number, appointment.patient
            ),
            "search_query": _search_query(search, center),
            "search_fields": _search_query_pairs(search, center),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("scheduling.change_appointment", raise_exception=True)
def appointment_cancel(request, pk: int):
    appointment = appointment_for(user=request.user, pk=pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_appointment(
                actor=request.user,
                appointment=appointment,
                cancelled_by=form.cleaned_data["cancelled_by"],
                reason=form.cleaned_data["reason"],
            )
        except InvalidTransition as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "The appointment is cancelled and its chair time is free again.")
        return redirect("appointment_detail", pk=pk)
    return render(request, "scheduling/booking/appointment_cancel.html", {"appointment": appointment, "form": form})
