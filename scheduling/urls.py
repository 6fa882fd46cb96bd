"""Pages of the scheduling app, one routes module per area of work."""

from django.urls import include, path

urlpatterns = [
    path("", include("scheduling.urls_booking")),
    path("", include("scheduling.urls_frontdesk")),
    path("", include("scheduling.urls_treatment")),
]
