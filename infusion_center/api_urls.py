"""REST API routes under /api/v1/ (Swagger UI at /api/docs/, see infusion_center/urls.py)."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from chairs.api import CenterViewSet, ChairBlockViewSet, ChairViewSet, NurseShiftViewSet
from infusion_center.api_common import ObtainTokenView
from patients.api import PatientViewSet
from scheduling.api import AppointmentViewSet, AvailabilityView, ProtocolViewSet
from treatment.api import (
    AppointmentReadinessView,
    AuthorizationViewSet,
    OrderViewSet,
    PrerequisiteDocumentViewSet,
    ProtocolPrerequisiteViewSet,
    WorkQueueView,
)


def api_not_found(request, *args, **kwargs):
    """Unknown API paths answer in JSON like the rest of the API (the pages' 404 is HTML)."""
    return JsonResponse({"detail": "No such API endpoint; see /api/v1/schema/ or /api/docs/."}, status=404)


router = DefaultRouter()
router.trailing_slash = "/?"  # optional, as for the routes below
router.register("centers", CenterViewSet, basename="api-center")
router.register("chairs", ChairViewSet, basename="api-chair")
router.register("chair-blocks", ChairBlockViewSet, basename="api-chairblock")
router.register("shifts", NurseShiftViewSet, basename="api-shift")
router.register("protocols", ProtocolViewSet, basename="api-protocol")
router.register("patients", PatientViewSet, basename="api-patient")
router.register("appointments", AppointmentViewSet, basename="api-appointment")
router.register("orders", OrderViewSet, basename="api-order")
router.register("authorizations", AuthorizationViewSet, basename="api-authorization")
router.register("prerequisite-documents", PrerequisiteDocumentViewSet, basename="api-prerequisitedocument")
router.register("protocol-prerequisites", ProtocolPrerequisiteViewSet, basename="api-protocolprerequisite")

urlpatterns = [
    # The trailing slash is optional everywhere: a script's POST without it must not be redirected.
    re_path(r"^auth/token/?$", ObtainTokenView.as_view(), name="api-token"),
    re_path(r"^availability/?$", AvailabilityView.as_view(), name="api-availability"),
    re_path(
        r"^appointments/(?P<pk>[0-9]+)/readiness/?$",
        AppointmentReadinessView.as_view(),
        name="api-appointment-readiness",
    ),
    re_path(r"^work-queue/?$", WorkQueueView.as_view(), name="api-work-queue"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include("treatment.api_urls")),  # the prior-authorization workflow (issue 22)
    path("", include("chairside.api_urls")),  # chair-side records, dose plan, pharmacy (issue 20)
    path("", include("waitlist.api_urls")),  # entries, offers (issue 17)
    path("", include(router.urls)),
    re_path(r"^.*$", api_not_found),
]
