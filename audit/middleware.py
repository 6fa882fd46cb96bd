"""Record every successful read of a patient's record, for pages and the API alike.

The audited routes are listed once, in ``AUDITED_ROUTES``: URL name → (what was read, channel, how to find
the patient from the URL). A read is recorded only when the view answered 200, i.e. after it checked the
user's role and centers; refusals (403/404) read nothing. Lists and the chair board, which show many
patients' names at once, are not recorded per patient.
"""

from __future__ import annotations

from collections.abc import Callable

from audit.models import Channel
from audit.services import record_patient_access


def _patient(kwargs) -> tuple[int | None, None]:
    return int(kwargs.get("pk") or kwargs["patient_pk"]), None


def _appointment(kwargs) -> tuple[int | None, int]:
    from scheduling.models import Appointment

    pk = int(kwargs["pk"])
    return Appointment.objects.filter(pk=pk).values_list("patient_id", flat=True).first(), pk


def _waitlist_entry(kwargs) -> tuple[int | None, int]:
    from waitlist.models import WaitlistEntry

    pk = int(kwargs["pk"])
    return WaitlistEntry.objects.filter(pk=pk).values_list("patient_id", flat=True).first(), pk


def _calendar_link(kwargs) -> tuple[int | None, None]:
    from django.core import signing

    from treatment.templatetags.treatment_plans import CALENDAR_SALT

    try:
        return int(signing.loads(kwargs["token"], salt=CALENDAR_SALT)), None
    except (signing.BadSignature, TypeError, ValueError):
        return None, None


AUDITED_ROUTES: dict[str, tuple[str, str, Callable]] = {
    "patient_detail": ("patient record", Channel.PAGE, _patient),
    "patient_edit": ("patient record (edit form)", Channel.PAGE, _patient),
    "patient_access_log": ("access log", Channel.PAGE, _patient),
    "treatment_calendar": ("appointment calendar", Channel.PAGE, _patient),
    "treatment_calendar_feed": ("appointment calendar", Channel.FEED, _calendar_link),
    "appointment_detail": ("appointment", Channel.PAGE, _appointment),
    "appointment_move": ("appointment (move)", Channel.PAGE, _appointment),
    "appointment_cancel": ("appointment (cancel form)", Channel.PAGE, _appointment),
    "late_arrival": ("appointment (late arrival)", Channel.PAGE, _appointment),
    "chairside_dose": ("chair-side record", Channel.PAGE, _appointment),
    "chairside_patient": ("weight, allergies and pre-medication", Channel.PAGE, _patient),
    "api-patient-detail": ("patient record", Channel.API, _patient),
    "api-appointment-detail": ("appointment", Channel.API, _appointment),
    "api-appointment-reminders": ("appointment reminders", Channel.API, _appointment),
    "api-appointment-readiness": ("appointment readiness", Channel.API, _appointment),
    "api-waitlistentry-detail": ("waitlist entry", Channel.API, _waitlist_entry),
    "api-waitlistentry-offers": ("waitlist entry offers", Channel.API, _waitlist_entry),
    "fhir-patient-read": ("patient record (FHIR)", Channel.API, _patient),
    "fhir-appointment-read": ("appointment (FHIR)", Channel.API, _appointment),
}


class PatientAccessAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if response.status_code != 200 or request.method not in ("GET", "HEAD") or match is None:
            return response
        route = AUDITED_ROUTES.get(match.url_name)
        if route is None:
            return response
        what, channel, locate = route
        patient_id, object_id = locate(match.kwargs)
        if patient_id is not None:
            record_patient_access(
                request=request, patient_id=patient_id, what=what, channel=channel, object_id=object_id
            )
        return response
