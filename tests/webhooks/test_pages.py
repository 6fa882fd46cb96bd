"""The setup page for webhooks: center admins add receivers, see the secret and the log; others cannot."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory
from tests.webhooks.conftest import subscribe
from webhooks.models import PING, Delivery, EventType, Subscription

pytestmark = pytest.mark.django_db


def test_center_admin_adds_a_receiver_and_sees_its_secret(client, center_admin, center):
    client.force_login(center_admin)
    index = client.get(reverse("setup:center", args=[center.pk])).content.decode()
    assert reverse("webhooks:subscriptions", args=[center.pk]) in index
    response = client.post(
        reverse("webhooks:subscriptions", args=[center.pk]),
        {
            "name": "Epic bridge",
            "url": "https://engine.example.org/hooks",
            "events": [EventType.APPOINTMENT_BOOKED, EventType.APPOINTMENT_CANCELLED],
            "is_clinical": "on",
            "is_active": "on",
        },
    )
    subscription = Subscription.objects.get()
    assert response.status_code == 302 and subscription.center == center and subscription.is_clinical
    assert subscription.created_by == center_admin and subscription.history.latest().history_user == center_admin
    page = client.get(response["Location"]).content.decode()
    assert subscription.secret in page and "Delivery log" in page


def test_a_bad_url_is_a_form_error(client, center_admin, center):
    client.force_login(center_admin)
    response = client.post(
        reverse("webhooks:subscriptions", args=[center.pk]),
        {"name": "x", "url": "ftp://nope", "events": [EventType.APPOINTMENT_BOOKED]},
    )
    assert response.status_code == 200 and not Subscription.objects.exists()
    assert "Enter a valid URL" in response.content.decode()


def test_rotating_the_secret_and_sending_a_test_event(client, center_admin, center):
    subscription = subscribe(center, "https://engine.example.org/hooks")
    old = subscription.secret
    client.force_login(center_admin)
    client.post(reverse("webhooks:rotate_secret", args=[center.pk, subscription.pk]))
    subscription.refresh_from_db()
    assert subscription.secret != old and subscription.secret.startswith("whsec_")
    client.post(reverse("webhooks:send_test", args=[center.pk, subscription.pk]))
    assert Delivery.objects.get().event == PING


def test_other_roles_are_refused_and_other_centers_are_404(client, nurse, center, other_center):
    subscription = subscribe(other_center, "https://engine.example.org/hooks")
    client.force_login(nurse)
    assert client.get(reverse("webhooks:subscriptions", args=[center.pk])).status_code == 403
    admin = UserFactory(username="ada2", role="center_admin", center=center)
    client.force_login(admin)
    assert client.get(reverse("webhooks:subscription", args=[other_center.pk, subscription.pk])).status_code == 404
    assert client.get(reverse("webhooks:subscription", args=[center.pk, subscription.pk])).status_code == 404
