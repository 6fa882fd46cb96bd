"""FHIR R4 routes under /fhir/r4/ (see fhir/views.py)."""

from django.urls import path, re_path

from fhir_r4 import views

_ID = r"(?P<pk>[A-Za-z0-9\-\.]{1,64})"
_TYPES = {
    "Patient": views.PatientView,
    "Practitioner": views.PractitionerView,
    "Location": views.LocationView,
    "Schedule": views.ScheduleView,
    "Slot": views.SlotView,
    "Appointment": views.AppointmentView,
    "ServiceRequest": views.ServiceRequestView,
    "ClaimResponse": views.ClaimResponseView,
}

urlpatterns = [
    path("metadata", views.MetadataView.as_view(), name="fhir-metadata"),
    re_path(rf"^Slot/{_ID}/\$book$", views.SlotBookView.as_view(), name="fhir-slot-book"),
]
for name, view in _TYPES.items():
    urlpatterns += [
        re_path(rf"^{name}/?$", view.as_view(), name=f"fhir-{name.lower()}-search"),
        re_path(rf"^{name}/{_ID}$", view.as_view(), name=f"fhir-{name.lower()}-read"),
    ]
