"""Center setup: the center's webhook subscriptions, their secrets and the delivery log (with retry).

Center admins only, through setup's own ``with_center`` (another center's subscription is a 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from setup.views import with_center
from webhooks import events, services
from webhooks.forms import SubscriptionForm
from webhooks.models import Delivery, DeliveryStatus, Subscription

LOG_LENGTH = 50


@require_http_methods(["GET", "POST"])
@with_center
def subscriptions(request, center):
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        subscription = form.save(commit=False)
        subscription.center = center
        services.save_subscription(actor=request.user, subscription=subscription)
        messages.success(request, f"Events now go to {subscription.name}. Give the receiver the signing secret below.")
        return redirect("webhooks:subscription", center_id=center.pk, pk=subscription.pk)
    rows = center.webhook_subscriptions.annotate(
        failed=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        waiting=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
    )
    return render(
        request,
        "webhooks/subscriptions.html",
        {"center": center, "section": "webhooks", "title": "Webhooks", "form": form, "subscriptions": rows},
    )


def _subscription(center, pk: int) -> Subscription:
    return get_object_or_404(Subscription, center=center, pk=pk)


@require_http_methods(["GET", "POST"])
@with_center
def subscription(request, center, pk: int):
    row = _subscription(center, pk)
    form = SubscriptionForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        services.save_subscription(actor=request.user, subscription=form.save(commit=False))
        messages.success(request, "The subscription is saved.")
        return redirect("webhooks:subscription", center_id=center.pk, pk=row.pk)
    deliveries = list(row.deliveries.prefetch_related("attempt_log")[:LOG_LENGTH])
    return render(
        request,
        "webhooks/subscription.html",
        {
            "center": center,
            "section": "webhooks",
            "title": row.name,
            "subscription": row,
            "form": form,
            "deliveries": deliveries,
        },
    )


@require_POST
@with_center
def rotate_secret(request, center, pk: int):
    row = services.rotate_secret(actor=request.user, subscription=_subscription(center, pk))
    messages.success(request, f"{row.name} has a new signing secret; the old one no longer verifies.")
    return redirect("webhooks:subscription", center_id=center.pk, pk=row.pk)


@require_POST
@with_center
def send_test(request, center, pk: int):
    row = _subscription(center, pk)
    if events.ping(row):
        messages.success(request, "A test event is on its way; its delivery is listed below.")
    else:
        messages.error(request, "The subscription is paused; turn it on to send events.")
    return redirect("webhooks:subscription", center_id=center.pk, pk=row.pk)


@require_POST
@with_center
def redeliver(request, center, pk: int, delivery_id: int):
    row = _subscription(center, pk)
    delivery = get_object_or_404(Delivery, subscription=row, pk=delivery_id)
    services.redeliver(delivery=delivery)
    messages.success(request, f"The {delivery.event} event will be sent again now.")
    return redirect("webhooks:subscription", center_id=center.pk, pk=row.pk)
