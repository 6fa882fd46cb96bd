"""Access audit pages (mounted at the site root, beside the patient pages)."""

from django.urls import path

from audit import views

urlpatterns = [
    path("patients/<int:pk>/access-log/", views.patient_access_log, name="patient_access_log"),
]
