"""Signed event webhooks: per-center subscriptions and the outbox of deliveries.

A :class:`Subscription` says where a center's events go (an EHR's or integration engine's URL), which
events, with which secret they are signed, and whether the receiver may see clinical detail (the
protocol, drug and dose: only for a subscription marked clinical). Each event for a subscription is one
:class:`Delivery` row, written in the same transaction as the change it reports (an outbox, like the
reminders'), then sent and retried with backoff until the receiver answers 2xx; every attempt is kept
(:class:`DeliveryAttempt`) for the delivery log.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from simple_history.models import HistoricalRecords

from chairs.models import Center


class EventType(models.TextChoices):
    APPOINTMENT_BOOKED = "appointment.booked", "Appointment booked"
    APPOINTMENT_MOVED = "appointment.moved", "Appointment moved"
    APPOINTMENT_CANCELLED = "appointment.cancelled", "Appointment cancelled"
    APPOINTMENT_CHECKED_IN = "appointment.checked_in", "Patient checked in"
    APPOINTMENT_FULFILLED = "appointment.fulfilled", "Appointment fulfilled (discharged)"
    APPOINTMENT_NO_SHOW = "appointment.no_show", "No-show"
    ORDER_CHANGED = "order.changed", "Doctor's order added, changed or deleted"
    AUTHORIZATION_CHANGED = "authorization.changed", "Prior authorization added, changed or deleted"


PING = "ping"  # a test event sent from the setup page


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


class Subscription(models.Model):
    center = models.ForeignKey(Center, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    name = models.CharField(max_length=120, help_text="Who receives it, e.g. “Epic integration engine”.")
    url = models.URLField("receiver URL", max_length=500, help_text="Events are POSTed here as JSON.")
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    events = ArrayField(models.CharField(max_length=40, choices=EventType.choices), default=list)
    is_clinical = models.BooleanField(
        "clinical receiver",
        default=False,
        help_text="Payloads name the protocol, drug and dose number (only for a receiver under a business "
        "associate agreement, e.g. the EHR). Otherwise they carry ids, times and statuses only.",
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["center", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    def wants(self, event: str) -> bool:
        return self.is_active and (event == PING or event in self.events)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class Delivery(models.Model):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(
        default=uuid.uuid4, help_text="The same for every attempt: receivers de-duplicate on it."
    )
    event = models.CharField(max_length=40)
    body = models.TextField(help_text="The exact JSON sent and signed.")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription.name} ({self.get_status_display().lower()})"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.attempted_at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
