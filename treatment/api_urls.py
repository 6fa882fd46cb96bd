"""API routes of the prior-authorization workflow (included by infusion_center/api_urls.py); see api_authorization."""

from django.urls import include, path, re_path
from rest_framework.routers import DefaultRouter

from treatment import api_authorization as api

router = DefaultRouter()
router.trailing_slash = "/?"
router.include_root_view = False
router.register("step-therapy-rules", api.StepTherapyRuleViewSet, basename="api-steptherapyrule")
router.register("medication-history", api.MedicationHistoryViewSet, basename="api-medicationhistory")

urlpatterns = [
    re_path(
        r"^authorizations/(?P<pk>[^/.]+)/stages/?$",
        api.AuthorizationStagesView.as_view(),
        name="api-authorization-stages",
    ),
    re_path(
        r"^authorizations/(?P<pk>[^/.]+)/step-therapy/?$",
        api.AuthorizationStepTherapyView.as_view(),
        name="api-authorization-step-therapy",
    ),
    re_path(
        r"^authorizations/(?P<pk>[^/.]+)/holds/?$", api.AuthorizationHoldsView.as_view(), name="api-authorization-holds"
    ),
    re_path(
        r"^patients/(?P<pk>[^/.]+)/medication-history/?$",
        api.PatientMedicationHistoryView.as_view(),
        name="api-patient-medication-history",
    ),
    re_path(
        r"^orders/(?P<pk>[^/.]+)/time-to-treatment/?$",
        api.OrderTimeToTreatmentView.as_view(),
        name="api-order-time-to-treatment",
    ),
    re_path(r"^authorization-tasks/?$", api.AuthorizationTasksView.as_view(), name="api-authorization-tasks"),
    path("", include(router.urls)),
]
