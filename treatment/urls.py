"""URL routes; see the views module of the same name."""

from django.urls import path, re_path

from treatment import views

urlpatterns = [
    path("treatment/work-queue/", views.work_queue, name="work_queue"),
    path("treatment/patients/<int:patient_pk>/orders/new/", views.order_create, name="order_create"),
    path("treatment/orders/<int:pk>/edit/", views.order_edit, name="order_edit"),
    path(
        "treatment/orders/<int:order_pk>/authorizations/new/",
        views.authorization_create,
        name="authorization_create",
    ),
    path("treatment/authorizations/<int:pk>/edit/", views.authorization_edit, name="authorization_edit"),
    path("treatment/patients/<int:patient_pk>/documents/new/", views.document_create, name="document_create"),
    path("treatment/documents/<int:pk>/edit/", views.document_edit, name="document_edit"),
    path("treatment/patients/<int:patient_pk>/calendar.ics", views.patient_calendar, name="treatment_calendar"),
    path("treatment/calendar/<str:token>.ics", views.calendar_feed, name="treatment_calendar_feed"),
]
urlpatterns += [path("treatment/orders/<int:pk>/series/", views.series_plan, name="series_plan")]

# The prior-authorization workflow (treatment/views_authorization.py).
from treatment import views_authorization  # noqa: E402

urlpatterns += [
    path("treatment/authorizations/<int:pk>/", views_authorization.authorization_detail, name="authorization_detail"),
    path("treatment/authorizations/<int:pk>/hold/", views_authorization.hold_create, name="hold_create"),
    re_path(
        r"^treatment/holds/(?P<pk>[0-9]+)/(?P<action>confirm|release)/$",
        views_authorization.hold_step,
        name="hold_step",
    ),
    path("treatment/orders/<int:pk>/", views_authorization.order_detail, name="order_detail"),
    path(
        "treatment/patients/<int:patient_pk>/medications/new/",
        views_authorization.medication_create,
        name="medication_create",
    ),
    path("treatment/medications/<int:pk>/edit/", views_authorization.medication_edit, name="medication_edit"),
]
