"""Chair-side pages: a dose's record (vitals, reactions, lot, rates), a patient's weight, allergies and
pre-medication, and the pharmacy queue. Thin: each POST calls one service; refusals become messages."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from chairs.roles import CENTER_ADMIN, NURSE, PHARMACY, has_role
from chairs.selectors import center_for, local_today
from chairside import forms, selectors, services
from chairside.gates import allergy_conflicts, premedication_refusals, vitals_refusals
from chairside.models import Allergy, PremedicationOrder
from patients.selectors import patient_for
from regimens.dosing import dose_plan, regimen_rows
from scheduling.errors import SchedulingError
from scheduling.models import AppointmentStatus
from scheduling.selectors import appointment_for


def _clinical_only(user) -> None:
    if not has_role(user, NURSE, CENTER_ADMIN):
        raise PermissionDenied


def _form_error(request, error: ValidationError | SchedulingError) -> None:
    if isinstance(error, ValidationError):
        for field, problems in error.message_dict.items():
            messages.error(request, f"{field.replace('_', ' ')}: {' '.join(problems)}")
    else:
        messages.error(request, error.message)


def dose_record(request, pk: int):
    """One dose at the chair: its plan (amount, ladder, requirements), allergies and pre-medication,
    and what was documented; nurses add vitals, a reaction, the lot and the rate given."""
    _clinical_only(request.user)
    appointment = appointment_for(user=request.user, pk=pk)
    bound = {}
    if request.method == "POST":
        kind = request.POST.get("form", "")
        form_class = {
            "vitals": forms.VitalsForm,
            "reaction": forms.ReactionForm,
            "lot": forms.LotForm,
            "rate": forms.RateForm,
            "premed_given": forms.PremedicationGivenForm,
        }.get(kind)
        if form_class is None:
            messages.error(request, "Choose what to record.")
            return redirect("chairside_dose", pk=pk)
        extra = {"orders": _premed_orders(appointment)} if kind == "premed_given" else {}
        form = form_class(request.POST, **extra)
        if form.is_valid():
            try:
                _record(kind, request.user, appointment, form.cleaned_data)
            except (ValidationError, SchedulingError) as error:
                _form_error(request, error)
            else:
                messages.success(request, "Recorded.")
                return redirect("chairside_dose", pk=pk)
        bound[kind] = form
    patient = appointment.patient
    interval = getattr(regimen_rows(appointment.protocol).regimen, "vitals_interval_minutes", 30)
    now = timezone.now()
    before_start = appointment.status in (AppointmentStatus.ARRIVED, AppointmentStatus.CHECKED_IN) and (
        appointment.infusion_start_at is None
    )
    context = {
        "appointment": appointment,
        "patient": patient,
        "center": appointment.center,
        "plan": dose_plan(
            protocol=appointment.protocol,
            dose_number=appointment.dose_number,
            patient=patient,
            on=appointment.start.astimezone(appointment.center.tzinfo).date(),
        ),
        "vitals_interval": interval,
        "vitals_due": selectors.vitals_due(appointment, interval_minutes=interval, now=now),
        # What still holds the infusion's start (the same checks transition() makes).
        "start_blockers": (
            premedication_refusals(appointment, now=now) + vitals_refusals(appointment, action="start_infusion")
            if before_start
            else []
        ),
        "premeds_given": appointment.premedications_given.select_related("given_by"),
        "premed_given_form": bound.get("premed_given")
        or forms.PremedicationGivenForm(orders=_premed_orders(appointment)),
        "allergies": Allergy.objects.filter(patient=patient, is_active=True),
        "conflicts": allergy_conflicts(appointment),
        "premeds": PremedicationOrder.objects.filter(patient=patient, protocol=appointment.protocol, is_active=True),
        "vitals_form": bound.get("vitals") or forms.VitalsForm(),
        "reaction_form": bound.get("reaction") or forms.ReactionForm(),
        "lot_form": bound.get("lot") or forms.LotForm(),
        "rate_form": bound.get("rate") or forms.RateForm(),
        **selectors.chairside_record(appointment),
    }
    return render(request, "chairside/dose.html", context)


def _premed_orders(appointment):
    return PremedicationOrder.objects.filter(
        patient_id=appointment.patient_id, protocol_id=appointment.protocol_id, is_active=True
    )


def _record(kind: str, actor, appointment, data: dict) -> None:
    if kind == "premed_given":
        given_at = data.pop("given_at", None)
        if given_at is not None:
            tz = appointment.center.tzinfo
            data["given_at"] = dt.datetime.combine(timezone.now().astimezone(tz).date(), given_at, tzinfo=tz)
        services.record_premedication_given(actor=actor, appointment=appointment, **data)
    elif kind == "vitals":
        services.record_vitals(actor=actor, appointment=appointment, **data)
    elif kind == "reaction":
        services.record_reaction(actor=actor, appointment=appointment, **data)
    elif kind == "lot":
        services.record_lot(actor=actor, appointment=appointment, **data)
    else:
        services.record_rate(actor=actor, appointment=appointment, **data)


def patient_facts(request, pk: int):
    """A patient's weight (with the day it was measured), allergies and pre-medication orders."""
    _clinical_only(request.user)
    patient = patient_for(user=request.user, pk=pk)
    bound = {}
    if request.method == "POST":
        kind = request.POST.get("form", "")
        try:
            if kind in ("allergy_off", "premed_off"):
                _switch_off(request, kind, patient)
                return redirect("chairside_patient", pk=pk)
            form_class = {
                "weight": forms.WeightForm,
                "allergy": forms.AllergyForm,
                "premed": forms.PremedicationForm,
            }.get(kind)
            if form_class is None:
                messages.error(request, "Choose what to record.")
                return redirect("chairside_patient", pk=pk)
            form = form_class(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                if kind == "weight":
                    services.record_weight(actor=request.user, patient=patient, **data)
                elif kind == "allergy":
                    services.add_allergy(actor=request.user, patient=patient, **data)
                else:
                    services.add_premedication(actor=request.user, patient=patient, **data)
                messages.success(request, "Recorded.")
                return redirect("chairside_patient", pk=pk)
            bound[kind] = form
        except (ValidationError, SchedulingError) as error:
            _form_error(request, error)
    context = {
        "patient": patient,
        "weights": patient.weights.all()[:10],
        "allergies": patient.allergies.all(),
        "premeds": patient.premedication_orders.select_related("protocol"),
        "weight_form": bound.get("weight") or forms.WeightForm(initial={"measured_on": timezone.localdate()}),
        "allergy_form": bound.get("allergy") or forms.AllergyForm(),
        "premed_form": bound.get("premed") or forms.PremedicationForm(),
    }
    return render(request, "chairside/patient.html", context)


def _switch_off(request, kind: str, patient) -> None:
    item_id = request.POST.get("id", "")
    if not item_id.isdigit():
        raise ValidationError({"id": ["Choose what to stop."]})
    if kind == "allergy_off":
        allergy = get_object_or_404(Allergy, pk=item_id, patient=patient)
        services.set_allergy_active(actor=request.user, allergy=allergy, is_active=False)
        messages.success(request, f"Allergy to {allergy.substance} marked inactive.")
    else:
        order = get_object_or_404(PremedicationOrder, pk=item_id, patient=patient)
        services.stop_premedication(actor=request.user, order=order)
        messages.success(request, f"Pre-medication {order.drug} stopped.")


def _pharmacy_or_clinical(user) -> None:
    if not has_role(user, PHARMACY, NURSE, CENTER_ADMIN):
        raise PermissionDenied


def pharmacy_queue(request):
    """The day's doses in the order the pharmacy must prepare them; pharmacy staff change their status."""
    _pharmacy_or_clinical(request.user)
    center = center_for(user=request.user, center_id=request.GET.get("center"))
    if center is None:
        return render(request, "frontdesk/no_center.html")
    today = local_today(center=center)
    try:
        day = dt.date.fromisoformat(request.GET.get("date", "")) if request.GET.get("date") else today
    except ValueError:
        day = today
    rows = selectors.pharmacy_queue(center=center, day=day)
    return render(
        request,
        "chairside/pharmacy_queue.html",
        {
            "center": center,
            "day": day,
            "rows": rows,
            "can_change": has_role(request.user, PHARMACY, CENTER_ADMIN),
            "waste": selectors.wasted_doses(center=center, date_from=day, date_to=day),
        },
    )


@require_POST
def preparation_step(request, pk: int):
    appointment = appointment_for(user=request.user, pk=pk)
    try:
        services.set_preparation_status(
            actor=request.user,
            appointment=appointment,
            status=request.POST.get("status", ""),
            reason=request.POST.get("reason", ""),
        )
    except SchedulingError as error:
        if error.http_status == 403:
            raise PermissionDenied(error.message) from error
        messages.error(request, error.message)
    day = appointment.start.astimezone(appointment.center.tzinfo).date()
    return redirect(f"{reverse('pharmacy_queue')}?center={appointment.center_id}&date={day:%Y-%m-%d}")
