"""Front desk and treatment floor pages (mounted at the site root); see views_frontdesk."""

from django.urls import path

from frontdesk import views

urlpatterns = [
    path("arrivals/", views.arrivals, name="arrivals"),
    path("waiting-room/", views.waiting_room, name="waiting_room"),
    path("in-chairs/", views.in_chairs, name="in_chairs"),
    path("flow/<int:pk>/late/", views.late_arrival, name="late_arrival"),
    path("flow/<int:pk>/<slug:action>/", views.flow_action, name="flow_action"),
    path("reports/flow/", views.flow_report, name="flow_report"),
]
