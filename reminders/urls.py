"""Reminder pages, signed links and SMS webhooks (mounted at /reminders/)."""

from django.urls import path

from reminders import views

app_name = "reminders"

urlpatterns = [
    path("", views.reminder_list, name="list"),
    path("<int:pk>/resend/", views.reminder_resend, name="resend"),
    path("<int:pk>/followed-up/", views.reminder_followed_up, name="followed_up"),
    path("appointments/<int:appointment_id>/", views.appointment_reminders, name="appointment"),
    path("sms/development/", views.development_sms, name="development_sms"),
    path("sms/development/reply/", views.development_sms_reply, name="development_sms_reply"),
    path("sms/inbound/", views.sms_inbound, name="sms_inbound"),
    path("sms/status/", views.sms_status, name="sms_status"),
    path("a/<str:token>/confirm/", views.appointment_link, {"action": "confirm"}, name="confirm_link"),
    path("a/<str:token>/cancel/", views.appointment_link, {"action": "cancel"}, name="cancel_link"),
]
