"""Queries about patients that pages, the API and tasks share.

Every query is scoped to the centers the user works at, so a user of one
center never sees (or can guess their way to) another center's patients.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from chairs.selectors import centers_for
from patients.models import Patient

# Date-of-birth formats a nurse may type into the search box.
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y", "%d.%m.%Y")


def patients_for(*, user) -> QuerySet[Patient]:
    """Patients of the centers the user works at."""
    return Patient.objects.filter(center__in=centers_for(user=user)).select_related("center")


def patient_for(*, user, pk: int) -> Patient:
    """One patient of the user's centers, or 404 (also for another center's patient)."""
    try:
        return patients_for(user=user).get(pk=pk)
    except Patient.DoesNotExist as error:
        raise Http404("No such patient.") from error


def parse_date_of_birth(text: str) -> dt.date | None:
    for date_format in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    return None


def search_patients(*, user, query: str, center_id: int | None = None) -> QuerySet[Patient]:
    """Patients matching a name, an MRN or a date of birth, best matches first.

    "ann smi" matches Ann Smith (every word must match a first or last name);
    "MRN0012" matches by MRN prefix; "1961-04-12" or "04/12/1961" by date of birth.
    """
    patients = patients_for(user=user)
    if center_id is not None:
        patients = patients.filter(center_id=center_id)
    query = " ".join(query.split())
    if not query:
        return patients
    date_of_birth = parse_date_of_birth(query)
    if date_of_birth is not None:
        return patients.filter(date_of_birth=date_of_birth)
    condition = Q(mrn__iexact=query) | Q(mrn__istartswith=query)
    words = query.split(" ")
    name_condition = Q()
    for word in words:
        name_condition &= Q(first_name__istartswith=word) | Q(last_name__istartswith=word)
    if len(words) == 1:
        name_condition |= Q(last_name__icontains=query)
    return patients.filter(condition | name_condition)


def appointments_of(*, patient: Patient) -> tuple[list, list]:
    """The patient's upcoming and past appointments (newest past first)."""
    now = timezone.now()
    appointments = list(patient.appointments.select_related("protocol", "chair", "center").order_by("start"))
    upcoming = [a for a in appointments if a.end > now]
    past = [a for a in reversed(appointments) if a.end <= now]
    return upcoming, past
