"""Webhook setup pages, under the center setup (``/setup/<center>/webhooks/``)."""

from django.urls import path

from webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("setup/<int:center_id>/webhooks/", views.subscriptions, name="subscriptions"),
    path("setup/<int:center_id>/webhooks/<int:pk>/", views.subscription, name="subscription"),
    path("setup/<int:center_id>/webhooks/<int:pk>/secret/", views.rotate_secret, name="rotate_secret"),
    path("setup/<int:center_id>/webhooks/<int:pk>/test/", views.send_test, name="send_test"),
    path(
        "setup/<int:center_id>/webhooks/<int:pk>/deliveries/<int:delivery_id>/retry/",
        views.redeliver,
        name="redeliver",
    ),
]
