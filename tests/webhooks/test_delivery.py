"""Sending: signed POSTs to a real local HTTP receiver, retries with backoff after it was down, the delivery log,
giving up, and a center admin's redelivery from the setup page."""

from __future__ import annotations

import datetime as dt
import json
import random
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.services import book_appointment
from tests.webhooks.conftest import Receiver, at, free_port, subscribe
from webhooks import services
from webhooks.models import Delivery, DeliveryStatus, EventType
from webhooks.signing import SIGNATURE_HEADER, sign, verify

pytestmark = pytest.mark.django_db


def test_signature_verifies_only_the_exact_body_secret_and_a_fresh_timestamp():
    body = b'{"id":"1","type":"appointment.booked"}'
    header = sign(secret="whsec_a", body=body, timestamp=1_800_000_000)
    assert verify(secret="whsec_a", body=body, header=header, now=1_800_000_100)
    assert not verify(secret="whsec_b", body=body, header=header, now=1_800_000_100)
    assert not verify(secret="whsec_a", body=body + b" ", header=header, now=1_800_000_100)
    assert not verify(secret="whsec_a", body=body, header=header, now=1_800_000_000 + 301)  # a replay
    assert not verify(secret="whsec_a", body=body, header="t=1800000000,v1=", now=1_800_000_000)


def test_backoff_doubles_with_jitter_and_is_capped():
    rng = random.Random(4)
    waits = [services.backoff(n, rng=rng).total_seconds() for n in range(1, 12)]
    assert 27 <= waits[0] <= 33 and 54 <= waits[1] <= 66 and 108 <= waits[2] <= 132
    assert max(waits) <= services.MAX_DELAY_SECONDS * 1.1


def _book(center, chair, patient, protocol, nurse):
    return book_appointment(actor=nurse, patient=patient, protocol=protocol, chair=chair, start=at(9))


def test_a_real_receiver_gets_a_signed_event_it_can_verify(receiver, center, chair, patient, protocol, nurse, shift):
    subscription = subscribe(center, receiver.url, events=[EventType.APPOINTMENT_BOOKED])
    appointment = _book(center, chair, patient, protocol, nurse)
    assert services.deliver_due() == {DeliveryStatus.DELIVERED: 1}
    [request] = receiver.requests
    headers = request["headers"]
    assert verify(secret=subscription.secret, body=request["body"], header=headers[SIGNATURE_HEADER], now=time.time())
    event = json.loads(request["body"])
    assert event["type"] == "appointment.booked" and event["data"]["appointment"]["id"] == appointment.pk
    assert headers["Webhook-Id"] == event["id"] and headers["Webhook-Event"] == "appointment.booked"
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.last_status_code == 200
    # A send task delivered twice sends once.
    assert services.deliver(delivery.pk) == DeliveryStatus.DELIVERED and len(receiver.requests) == 1


def test_redelivered_after_the_receiver_was_down(center, chair, patient, protocol, nurse, shift):
    port = free_port()
    subscription = subscribe(center, f"http://127.0.0.1:{port}/hooks")
    _book(center, chair, patient, protocol, nurse)
    assert services.deliver_due() == {DeliveryStatus.PENDING: 1}
    delivery = Delivery.objects.get()
    assert delivery.attempts == 1 and delivery.last_status_code is None and "Connection" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now() + dt.timedelta(seconds=20)
    assert services.deliver_due() == {}  # not due yet: it waits for its backoff
    receiver = Receiver(port)
    try:
        receiver.status = 503
        later = timezone.now() + dt.timedelta(minutes=1)
        assert services.deliver_due(now=later) == {DeliveryStatus.PENDING: 1}
        receiver.status = 204
        assert services.deliver_due(now=later + dt.timedelta(minutes=5)) == {DeliveryStatus.DELIVERED: 1}
    finally:
        receiver.stop()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 3
    assert [a.status_code for a in delivery.attempt_log.order_by("attempted_at")] == [None, 503, 204]
    first, second = receiver.requests
    assert first["body"] == second["body"] and first["headers"]["Webhook-Id"] == second["headers"]["Webhook-Id"]
    assert all(
        verify(secret=subscription.secret, body=r["body"], header=r["headers"][SIGNATURE_HEADER], now=r_now)
        for r, r_now in ((first, later.timestamp()), (second, (later + dt.timedelta(minutes=5)).timestamp()))
    )


def test_gives_up_after_the_last_attempt_and_an_admin_sends_it_again(
    client, center_admin, center, chair, patient, protocol, nurse, shift
):
    port = free_port()
    subscription = subscribe(center, f"http://127.0.0.1:{port}/hooks")
    _book(center, chair, patient, protocol, nurse)
    moment = timezone.now()
    for _ in range(services.MAX_ATTEMPTS):
        services.deliver_due(now=moment)
        moment += dt.timedelta(days=1)
    delivery = Delivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == services.MAX_ATTEMPTS
    client.force_login(center_admin)
    page = client.get(reverse("webhooks:subscription", args=[center.pk, subscription.pk])).content.decode()
    assert "Failed (gave up)" in page and "Send again" in page
    receiver = Receiver(port)
    try:
        response = client.post(reverse("webhooks:redeliver", args=[center.pk, subscription.pk, delivery.pk]))
        assert response.status_code == 302
        assert services.deliver_due() == {DeliveryStatus.DELIVERED: 1}
    finally:
        receiver.stop()
    assert len(receiver.requests) == 1
