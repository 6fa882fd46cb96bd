"""Patient pages: a searchable list, registration, editing and each patient's appointments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from chairs.selectors import centers_for
from patients.forms import PatientForm, PatientSearchForm
from patients.selectors import appointments_of, patient_for, search_patients
from patients.services import update_patient

PAGE_SIZE = 25
SEARCH_LIMIT = 10


@require_GET
@permission_required("patients.view_patient", raise_exception=True)
def patient_list(request):
    form = PatientSearchForm(request.GET)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    patients = search_patients(user=request.user, query=query)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": query}
    if request.htmx and request.htmx.target == "patient-results":
        return render(request, "patients/_patient_table.html", context)
    return render(request, "patients/patient_list.html", context)


@require_GET
@permission_required("patients.view_patient", raise_exception=True)
def patient_search(request):
    """Search-as-you-type results for pickers (the slot finder): a short list of buttons."""
    query = request.GET.get("q", "")[:100]
    center_id = request.GET.get("center")
    try:
        center_id = int(center_id) if center_id else None
    except ValueError:
        center_id = None
    patients = list(search_patients(user=request.user, query=query, center_id=center_id)[: SEARCH_LIMIT + 1])
    context = {
        "patients": patients[:SEARCH_LIMIT],
        "has_more": len(patients) > SEARCH_LIMIT,
        "query": query,
    }
    return render(request, "patients/_patient_search_results.html", context)


@require_GET
@permission_required("patients.view_patient", raise_exception=True)
def patient_detail(request, pk: int):
    patient = patient_for(user=request.user, pk=pk)
    upcoming, past = appointments_of(patient=patient)
    return render(
        request,
        "patients/patient_detail.html",
        {"patient": patient, "upcoming": upcoming, "past": past},
    )


@require_http_methods(["GET", "POST"])
@permission_required("patients.add_patient", raise_exception=True)
def patient_create(request):
    centers = centers_for(user=request.user)
    if not centers.exists():
        messages.error(request, "You are not assigned to any center, so you cannot register patients yet.")
        return redirect("patient_list")
    form = PatientForm(request.POST or None, centers=centers)
    if request.method == "POST" and form.is_valid():
        patient = form.save()
        messages.success(request, f"{patient.full_name} is registered.")
        return redirect("patient_detail", pk=patient.pk)
    return render(
        request,
        "patients/patient_form.html",
        {"form": form, "title": "New patient", "cancel_url": reverse("patient_list")},
    )


@require_http_methods(["GET", "POST"])
@permission_required("patients.change_patient", raise_exception=True)
def patient_edit(request, pk: int):
    patient = patient_for(user=request.user, pk=pk)
    form = PatientForm(request.POST or None, instance=patient, centers=centers_for(user=request.user))
    if request.method == "POST" and form.is_valid():
        update_patient(patient=form.save(commit=False), actor=request.user)
        messages.success(request, f"{patient.full_name}'s details are saved.")
        return redirect("patient_detail", pk=patient.pk)
    return render(
        request,
        "patients/patient_form.html",
        {
            "form": form,
            "patient": patient,
            "title": f"Edit {patient.full_name}",
            "cancel_url": reverse("patient_detail", args=[patient.pk]),
        },
    )
