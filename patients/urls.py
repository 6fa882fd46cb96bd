"""Patient pages (mounted at /patients/)."""

from django.urls import path

from patients import views

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("search/", views.patient_search, name="patient_search"),
    path("new/", views.patient_create, name="patient_create"),
    path("<int:pk>/", views.patient_detail, name="patient_detail"),
    path("<int:pk>/edit/", views.patient_edit, name="patient_edit"),
]
