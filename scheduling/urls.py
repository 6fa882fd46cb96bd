"""Pages of the scheduling app: the nurses' booking pages (see views_booking).

The front desk's pages are in ``frontdesk.urls``, the treatment plans' in ``treatment.urls``.
"""

from django.urls import include, path

urlpatterns = [
    path("", include("scheduling.urls_booking")),
]
