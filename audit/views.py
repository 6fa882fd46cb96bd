"""The access log of one patient's record, for the center admins of the patient's center."""

from __future__ import annotations

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.selectors import accesses_of
from patients.selectors import patient_for

PAGE_SIZE = 50


@require_GET
@permission_required("audit.view_patientaccess", raise_exception=True)
def patient_access_log(request, pk: int):
    patient = patient_for(user=request.user, pk=pk)
    page = Paginator(accesses_of(patient=patient), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/patient_access_log.html", {"patient": patient, "page": page})
