from django.urls import path

from chairside import views

urlpatterns = [
    path("doses/<int:pk>/", views.dose_record, name="chairside_dose"),
    path("patients/<int:pk>/", views.patient_facts, name="chairside_patient"),
]

pharmacy_urlpatterns = [
    path("", views.pharmacy_queue, name="pharmacy_queue"),
    path("<int:pk>/status/", views.preparation_step, name="preparation_step"),
]
