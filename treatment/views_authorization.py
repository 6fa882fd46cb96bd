"""Pages of the prior-authorization workflow: the authorization (stages, step therapy, holds), the order's
time to treatment, and the patient's medication history. Each write is one call to ``treatment.authorizations``."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chairs.selectors import chairs_for, local_today
from scheduling import services as scheduling_services
from scheduling.errors import SchedulingError
from treatment import authorizations
from treatment.authorization_selectors import holds_of, step_therapy_of, time_to_treatment_of, workflow_of
from treatment.forms import HoldForm, MedicationForm, StageForm
from treatment.models import MedicationHistory, PriorAuthorization, TentativeHold
from treatment.views import _form_page, _history, _order_for, patient_for, patients_for

TEMPLATES = "treatment/"


def _authorization_for(user, pk: int) -> PriorAuthorization:
    return get_object_or_404(
        PriorAuthorization.objects.select_related("order__protocol", "patient__center").filter(
            patient__in=patients_for(user=user)
        ),
        pk=pk,
    )


def _stage_arguments(data: dict, *, tz) -> dict:
    slot = None
    if data["peer_to_peer_date"] and data["peer_to_peer_time"]:
        slot = dt.datetime.combine(data["peer_to_peer_date"], data["peer_to_peer_time"], tzinfo=tz)
    elif data["peer_to_peer_date"] or data["peer_to_peer_time"]:
        raise ValidationError({"peer_to_peer_time": "Give both the date and the time of the review."})
    return {
        "stage": data["stage"],
        "occurred_on": data["occurred_on"],
        "due_on": data["due_on"],
        "peer_to_peer_at": slot,
        "reviewer": data["reviewer"],
        "outcome": data["outcome"],
        "denial_reason": data["denial_reason"],
        "note": data["note"],
        "approved_from": data["approved_from"],
        "approved_until": data["approved_until"],
        "approved_visits": data["approved_visits"],
        "reference_number": data["reference_number"],
    }


def _add_errors(form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@require_http_methods(["GET", "POST"])
@permission_required("treatment.view_priorauthorization", raise_exception=True)
def authorization_detail(request, pk: int):
    authorization = _authorization_for(request.user, pk)
    center = authorization.patient.center
    state = workflow_of(authorization)
    stage_form = StageForm(request.POST or None, choices=state.allowed_choices, prefix="stage")
    hold_form = HoldForm(chairs=chairs_for(center=center), prefix="hold")
    if request.method == "POST":
        if not request.user.has_perm("treatment.add_authorizationstage"):
            messages.error(request, "Your role may not record authorization stages.")
        elif stage_form.is_valid():
            try:
                arguments = _stage_arguments(stage_form.cleaned_data, tz=center.tzinfo)
                row = authorizations.record_stage(actor=request.user, authorization=authorization, **arguments)
            except ValidationError as error:
                _add_errors(stage_form, error)
            except SchedulingError as refused:
                stage_form.add_error("stage", refused.message)
            else:
                messages.success(request, f"Recorded: {row.get_stage_display()} on {row.occurred_on:%Y-%m-%d}.")
                return redirect("authorization_detail", pk=authorization.pk)
    today = local_today(center=center)
    context = {
        "authorization": authorization,
        "patient": authorization.patient,
        "order": authorization.order,
        "workflow": state,
        "today": today,
        "stage_form": stage_form,
        "hold_form": hold_form,
        "step_therapy": step_therapy_of(authorization, today=today),
        "holds": holds_of(authorization),
        "release_days": authorizations.hold_release_days(),
        "history": _history(authorization),
    }
    return render(request, TEMPLATES + "authorization_detail.html", context)


@require_POST
@permission_required("treatment.add_tentativehold", raise_exception=True)
def hold_create(request, pk: int):
    authorization = _authorization_for(request.user, pk)
    center = authorization.patient.center
    form = HoldForm(request.POST, chairs=chairs_for(center=center), prefix="hold")
    if not form.is_valid():
        messages.error(request, "Choose a chair, a date and a time for the hold.")
        return redirect("authorization_detail", pk=pk)
    start = dt.datetime.combine(form.cleaned_data["day"], form.cleaned_data["time"], tzinfo=center.tzinfo)
    try:
        appointment = authorizations.place_hold(
            actor=request.user, authorization=authorization, chair=form.cleaned_data["chair"], start=start
        )
    except SchedulingError as refused:
        messages.error(request, f"The hold was refused: {refused.message}")
    else:
        release = authorizations.release_on(appointment)
        messages.success(
            request,
            f"First dose held on {appointment.start.astimezone(center.tzinfo):%Y-%m-%d %H:%M}; "
            f"released on {release:%Y-%m-%d} unless the authorization is approved.",
        )
    return redirect("authorization_detail", pk=pk)


@require_POST
@permission_required("scheduling.change_appointment", raise_exception=True)
def hold_step(request, pk: int, action: str):
    """Confirm (once approved) or release a hold, through the appointment state machine."""
    hold = get_object_or_404(
        TentativeHold.objects.select_related("appointment").filter(
            authorization__patient__in=patients_for(user=request.user)
        ),
        pk=pk,
    )
    machine = {"confirm": "confirm_hold", "release": "release_hold"}[action]
    try:
        scheduling_services.transition(
            actor=request.user,
            appointment=hold.appointment,
            action=machine,
            reason="Released by staff." if action == "release" else "",
        )
    except SchedulingError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, "The hold is confirmed." if action == "confirm" else "The hold is released.")
    return redirect("authorization_detail", pk=hold.authorization_id)


@require_GET
@permission_required("treatment.view_order", raise_exception=True)
def order_detail(request, pk: int):
    order = _order_for(request.user, pk)
    authorizations_of_order = list(order.authorizations.order_by("pk"))
    return render(
        request,
        TEMPLATES + "order_detail.html",
        {
            "order": order,
            "patient": order.patient,
            "timeline": time_to_treatment_of(order),
            "authorizations": authorizations_of_order,
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("treatment.add_medicationhistory", raise_exception=True)
def medication_create(request, patient_pk: int):
    patient = patient_for(user=request.user, pk=patient_pk)
    form = MedicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        authorizations.save_medication(actor=request.user, entry=form.instance, patient=patient)
        messages.success(request, f"{form.instance.therapy} is recorded in the medication history.")
        return redirect("patient_detail", pk=patient.pk)
    return _form_page(request, form=form, patient=patient, title="Record a previous therapy")


@require_http_methods(["GET", "POST"])
@permission_required("treatment.change_medicationhistory", raise_exception=True)
def medication_edit(request, pk: int):
    entry = get_object_or_404(
        MedicationHistory.objects.select_related("patient").filter(patient__in=patients_for(user=request.user)), pk=pk
    )
    form = MedicationForm(request.POST or None, instance=entry)
    if request.method == "POST" and form.is_valid():
        authorizations.save_medication(actor=request.user, entry=form.instance, patient=entry.patient)
        messages.success(request, "The medication history is saved.")
        return redirect("patient_detail", pk=entry.patient_id)
    return _form_page(
        request, form=form, patient=entry.patient, title="Edit a previous therapy", history=_history(entry)
    )
