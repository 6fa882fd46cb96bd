"""API routes of chair-side care (included by infusion_center/api_urls.py); see chairside.api."""

from django.urls import re_path

from chairside import api

_APPOINTMENT = r"^appointments/(?P<pk>[0-9]+)/"

urlpatterns = [
    re_path(_APPOINTMENT + r"vitals/?$", api.VitalSignsView.as_view(), name="api-appointment-vitals"),
    re_path(_APPOINTMENT + r"reactions/?$", api.InfusionReactionsView.as_view(), name="api-appointment-reactions"),
    re_path(_APPOINTMENT + r"drug-lots/?$", api.DrugLotsView.as_view(), name="api-appointment-drug-lots"),
    re_path(_APPOINTMENT + r"rate-steps/?$", api.RateStepsView.as_view(), name="api-appointment-rate-steps"),
    re_path(
        _APPOINTMENT + r"premedications-given/?$",
        api.PremedicationsGivenView.as_view(),
        name="api-appointment-premedications-given",
    ),
    re_path(_APPOINTMENT + r"dose-plan/?$", api.DosePlanView.as_view(), name="api-appointment-dose-plan"),
    re_path(_APPOINTMENT + r"preparation/?$", api.PreparationView.as_view(), name="api-appointment-preparation"),
    re_path(r"^pharmacy-queue/?$", api.PharmacyQueueView.as_view(), name="api-pharmacy-queue"),
]
