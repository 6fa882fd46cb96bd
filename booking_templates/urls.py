from django.urls import path

from booking_templates import views

urlpatterns = [
    path("templates/", views.template_page, name="booking_template"),
]
