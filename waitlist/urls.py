"""Waitlist pages (/waitlist/…) and the patients' short links (/o/… offers, /m/… new time, /r/… a text's short link)."""

from django.urls import path

from waitlist import views

app_name = "waitlist"

urlpatterns = [
    path("waitlist/", views.waitlist, name="list"),
    path("waitlist/add/", views.entry_add, name="add"),
    path("waitlist/<int:pk>/", views.entry_detail, name="entry"),
    path("waitlist/<int:pk>/edit/", views.entry_edit, name="edit"),
    path("waitlist/<int:pk>/remove/", views.entry_remove, name="remove"),
    path("waitlist/offers/<int:pk>/phone/", views.offer_phone_outcome, name="phone_outcome"),
    path("o/<str:token>/", views.offer_link, name="offer_link"),
    path("m/<str:token>", views.reschedule_link, name="reschedule_link"),
    path("r/<str:code>", views.sms_link, name="sms_link"),
]
