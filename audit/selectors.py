"""Reading the access audit."""

from __future__ import annotations

from django.db.models import QuerySet

from audit.models import PatientAccess


def accesses_of(*, patient) -> QuerySet[PatientAccess]:
    """Every recorded read of the patient's record, newest first."""
    return PatientAccess.objects.filter(patient_id=patient.pk).select_related("user")
