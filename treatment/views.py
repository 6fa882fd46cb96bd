"""Treatment-plan pages: orders, authorizations, documents, the work queue, series booking, calendar."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, permission_required
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from chairs.selectors import center_for, centers_for, chairs_for, local_today
from patients.models import Patient
from scheduling.errors import BookingRefused, Reason
from scheduling.models import Appointment, AppointmentStatus
from treatment import series
from treatment import services as services_treatment
from treatment.calendar_ics import series_calendar
from treatment.forms import AuthorizationForm, DocumentForm, OrderForm, WorkQueueFilterForm
from treatment.models import Order, PrerequisiteDocument, PriorAuthorization
from treatment.selectors import (
    MISSING_KINDS,
    authorization_alerts,
    counts_by_kind,
    filter_queue,
    missed_doses,
    upcoming_not_ready,
)
from treatment.templatetags.treatment_plans import CALENDAR_SALT

TEMPLATES = "treatment/"


def patients_for(*, user):
    """Patients of the user's centers (another center's patient is a 404, never a 403)."""
    return Patient.objects.filter(center__in=centers_for(user=user)).select_related("center")


def patient_for(*, user, pk: int) -> Patient:
    return get_object_or_404(patients_for(user=user), pk=pk)


def _order_for(user, pk: int) -> Order:
    return get_object_or_404(
        Order.objects.select_related("patient", "protocol").filter(patient__in=patients_for(user=user)), pk=pk
    )


def _history(instance) -> list:
    return list(instance.history.select_related("history_user").order_by("-history_date")[:20])


# --- Work queue ----------------------------------------------------------------------------------


@require_GET
@permission_required("scheduling.view_appointment", raise_exception=True)
def work_queue(request):
    center = center_for(user=request.user, center_id=request.GET.get("center"))
    if center is None:
        raise Http404("No such center.")
    today = local_today(center=center)
    entries = upcoming_not_ready(center=center, today=today)
    filters = WorkQueueFilterForm(request.GET, kinds=MISSING_KINDS)
    shown = entries
    is_filtered = False
    if filters.is_valid() and any(filters.cleaned_data.values()):
        is_filtered = True
        data = filters.cleaned_data
        shown = filter_queue(
            entries,
            day=data["date"],
            kind=data["kind"],
            protocol_id=data["protocol"].pk if data["protocol"] else None,
        )
    context = {
        "center": center,
        "centers": centers_for(user=request.user),
        "today": today,
        "entries": shown,
        "all_count": len(entries),
        "is_filtered": is_filtered,
        "filters": filters,
        "kind_counts": counts_by_kind(entries),
        "alerts": authorization_alerts(center=center, today=today),
        "missed": missed_doses(center=center, today=today),
    }
    return render(request, TEMPLATES + "work_queue.html", context)


# --- Orders, authorizations, documents -----------------------------------------------------------


def _form_page(request, *, form, patient: Patient, title: str, history=None, extra=None):
    context = {"form": form, "patient": patient, "title": title, "history": history or [], **(extra or {})}
    return render(request, TEMPLATES + "form.html", context)


@require_http_methods(["GET", "POST"])
@permission_required("treatment.add_order", raise_exception=True)
def order_create(request, patient_pk: int):
    patient = patient_for(user=request.user, pk=patient_pk)
    form = OrderForm(request.POST or None, initial={"start_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        order = services_treatment.save_order(actor=request.user, order=form.instance, patient=patient)
        messages.success(request, f"The {order.protocol.name} order is saved.")
        return redirect("patient_detail", pk=patient.pk)
    return _form_page(request, form=form, patient=patient, title="New doctor's order")


@require_http_methods(["GET", "POST"])
@permission_required("treatment.change_order", raise_exception=True)
def order_edit(request, pk: int):
    order = _order_for(request.user, pk)
    form = OrderForm(request.POST or None, instance=order)
    if request.method == "POST" and form.is_valid():
        services_treatment.save_order(actor=request.user, order=form.instance, patient=order.patient)
        messages.success(request, "The order is saved.")
        return redirect("patient_detail", pk=order.patient_id)
    return _form_page(
        request, form=form, patient=order.patient, title=f"Edit {order.protocol.name} order", history=_history(order)
    )


@require_http_methods(["GET", "POST"])
@permission_required("treatment.add_priorauthorization", raise_exception=True)
def authorization_create(request, order_pk: int):
    order = _order_for(request.user, order_pk)
    form = AuthorizationForm(request.POST or None, instance=PriorAuthorization(order=order, patient=order.patient))
    if request.method == "POST" and form.is_valid():
        services_treatment.save_authorization(actor=request.user, authorization=form.instance, order=order)
        messages.success(request, "The prior authorization is saved.")
        return redirect("patient_detail", pk=order.patient_id)
    return _form_page(
        request, form=form, patient=order.patient, title=f"Prior authorization for the {order.protocol.name} order"
    )


@require_http_methods(["GET", "POST"])
@permission_required("treatment.change_priorauthorization", raise_exception=True)
def authorization_edit(request, pk: int):
    authorization = get_object_or_404(
        PriorAuthorization.objects.select_related("order__protocol", "patient").filter(
            patient__in=patients_for(user=request.user)
        ),
        pk=pk,
    )
    form = AuthorizationForm(request.POST or None, instance=authorization)
    if request.method == "POST" and form.is_valid():
        services_treatment.save_authorization(
            actor=request.user, authorization=form.instance, order=authorization.order
        )
        messages.success(request, "The prior authorization is saved.")
        return redirect("patient_detail", pk=authorization.patient_id)
    return _form_page(
        request,
        form=form,
        patient=authorization.patient,
        title=f"Prior authorization for the {authorization.order.protocol.name} order",
        history=_history(authorization),
    )


@require_http_methods(["GET", "POST"])
@permission_required("treatment.add_prerequisitedocument", raise_exception=True)
def document_create(request, patient_pk: int):
    patient = patient_for(user=request.user, pk=patient_pk)
    initial = {"performed_on": timezone.localdate(), "kind": request.GET.get("kind", "")}
    form = DocumentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        document = services_treatment.save_document(actor=request.user, document=form.instance, patient=patient)
        messages.success(request, f"{document.get_kind_display()} is recorded.")
        return redirect(
            request.GET.get("next")
            if _is_local(request.GET.get("next"))
            else reverse("patient_detail", args=[patient.pk])
        )
    return _form_page(request, form=form, patient=patient, title="Record a prerequisite document")


@require_http_methods(["GET", "POST"])
@permission_required("treatment.change_prerequisitedocument", raise_exception=True)
def document_edit(request, pk: int):
    document = get_object_or_404(
        PrerequisiteDocument.objects.select_related("patient").filter(patient__in=patients_for(user=request.user)),
        pk=pk,
    )
    form = DocumentForm(request.POST or None, instance=document)
    if request.method == "POST" and form.is_valid():
        services_treatment.save_document(actor=request.user, document=form.instance, patient=document.patient)
        messages.success(request, "The document is saved.")
        return redirect("patient_detail", pk=document.patient_id)
    return _form_page(
        request, form=form, patient=document.patient, title="Edit prerequisite document", history=_history(document)
    )


def _is_local(url: str | None) -> bool:
    return bool(url) and url.startswith("/") and not url.startswith("//")


# --- Calendar ------------------------------------------------------------------------------------


def _calendar_response(request, patient: Patient) -> HttpResponse:
    appointments = (
        patient.appointments.filter(
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.PENDING), end__gt=timezone.now()
        )
        .select_related("center")
        .order_by("start")
    )
    body = series_calendar(appointments=appointments, now=timezone.now(), domain=request.get_host().split(":")[0])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="infusion-appointments.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@permission_required("scheduling.view_appointment", raise_exception=True)
def patient_calendar(request, patient_pk: int):
    return _calendar_response(request, patient_for(user=request.user, pk=patient_pk))


@login_not_required
@require_GET
def calendar_feed(request, token: str):
    """A subscribable feed for the patient or care partner: the signed link is the key."""
    try:
        patient_pk = signing.loads(token, salt=CALENDAR_SALT)
    except signing.BadSignature as error:
        raise Http404("No such calendar.") from error
    return _calendar_response(request, get_object_or_404(Patient, pk=patient_pk))


# --- Series booking ------------------------------------------------------------------------------


def _parse_day(text: str | None):
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _rows_from_post(post, center) -> tuple[dict[int, tuple[int, dt.datetime]], dict[int, tuple[int, dt.datetime]]]:
    """Every dose row of the form as (chair id, start), and the rows the user changed or pinned before."""
    rows, pins = {}, {}
    for text in post.getlist("dose"):
        try:
            number = int(text)
            day = dt.date.fromisoformat(post.get(f"date_{number}", ""))
            time = dt.time.fromisoformat(post.get(f"time_{number}", ""))
            chair_id = int(post.get(f"chair_{number}", ""))
        except ValueError:
            continue
        start = dt.datetime.combine(day, time, tzinfo=center.tzinfo)
        rows[number] = (chair_id, start)
        original = post.get(f"original_{number}", "")
        if post.get(f"pinned_{number}") or original != f"{chair_id}|{start.isoformat()}":
            pins[number] = rows[number]
    return rows, pins


@require_http_methods(["GET", "POST"])
@permission_required("scheduling.add_appointment", raise_exception=True)
def series_plan(request, pk: int):
    """Propose the order's remaining doses; adjust any; book them all in one transaction."""
    order = _order_for(request.user, pk)
    center = order.patient.center
    source = request.POST if request.method == "POST" else request.GET
    reflow = source.get("reflow") == "1"
    first_day = _parse_day(source.get("first_day"))
    time_of_day = source.get("time_of_day") if source.get("time_of_day") in ("morning", "afternoon") else "any"
    pins: dict = {}
    error = None
    if request.method == "POST":
        rows, pins = _rows_from_post(request.POST, center)
        incomplete = [n for n in request.POST.getlist("dose") if not n.isdigit() or int(n) not in rows]
        if request.POST.get("action") == "book" and incomplete:
            error = BookingRefused(
                [Reason("incomplete_dose", f"Dose {n}: choose a date, a time and a chair.") for n in incomplete]
            )
            pins = rows
        elif request.POST.get("action") == "book":
            replaces = [int(x) for x in request.POST.getlist("replaces") if x.isdigit()]
            try:
                booked = series.book_series(
                    actor=request.user,
                    order=order,
                    doses=[(n, chair_id, start) for n, (chair_id, start) in sorted(rows.items())],
                    replaces=replaces,
                    override_reason=request.POST.get("override_reason", ""),
                )
            except BookingRefused as refused:
                error = refused
                pins = rows  # show exactly what the user tried
            else:
                _report_booked(request, booked, replaced=len(replaces))
                return redirect("patient_detail", pk=order.patient_id)
    course_days = int(source["course_days"]) if source.get("course_days", "").isdigit() else None
    proposal = series.propose_series(
        order=order, reflow=reflow, first_day=first_day, time_of_day=time_of_day, pins=pins, course_days=course_days
    )
    context = {
        "order": order,
        "patient": order.patient,
        "center": center,
        "proposal": proposal,
        "chairs": chairs_for(center=center),
        "reflow": reflow,
        "first_day": first_day,
        "time_of_day": time_of_day,
        "course_days": course_days,
        "error": error,
        "can_override": services_treatment.can_override(request.user),
        "has_future_doses": Appointment.objects.filter(
            patient=order.patient,
            protocol=order.protocol,
            status__in=series.REPLACEABLE_STATUSES,
            start__gte=timezone.now(),
        ).exists(),
    }
    return render(request, TEMPLATES + "series.html", context)


def _report_booked(request, booked, *, replaced: int) -> None:
    tz = booked[0].center.tzinfo
    first, last = booked[0].start.astimezone(tz), booked[-1].start.astimezone(tz)
    text = f"Booked {len(booked)} dose{'s' if len(booked) != 1 else ''}, {first:%Y-%m-%d} to {last:%Y-%m-%d}."
    if replaced:
        text += f" {replaced} earlier booking{'s were' if replaced != 1 else ' was'} cancelled and re-planned."
    messages.success(request, text)
    for appointment in booked:
        for item in getattr(appointment, "readiness_warnings", []):
            messages.warning(request, f"Dose {appointment.dose_number}: {item.message}")
