"""REST API of the waitlist: entries in urgency order with their earliest slot, and the offers made.

Thin, like ``scheduling.api``: an entry is added, changed and withdrawn through ``waitlist.services``
(``add_to_waitlist``, ``update_waitlist_entry``, ``remove_from_waitlist``) — the page's own functions,
so the window never leaves the dose's label window and every change is in the entry's history with
who made it. Refusals are 400 JSON naming the field (``infusion_center.api_common.exception_handler``).
Everything is scoped to the user's centers; nurses and front desk write (their role's permissions).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from infusion_center.api_common import ModelPermissions, Pagination, query_int, user_center_ids
from infusion_center.api_parsers import DepthLimitedJSONParser
from waitlist import api_schema as schema
from waitlist import selectors, services
from waitlist.api_serializers import (
    OfferSerializer,
    WaitlistEntryCreateSerializer,
    WaitlistEntrySerializer,
    WaitlistEntryUpdateSerializer,
    WithdrawSerializer,
)
from waitlist.models import EntryStatus, Offer, WaitlistEntry


@extend_schema_view(**schema.ENTRIES)
class WaitlistEntryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = WaitlistEntrySerializer
    permission_classes = [ModelPermissions]
    pagination_class = Pagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {"withdraw": "change", "offers": "view"}

    def get_queryset(self):
        return WaitlistEntry.objects.filter(center_id__in=user_center_ids(self.request.user)).select_related(
            "center", "patient", "patient__center", "protocol", "replaces", "booked_appointment"
        )

    def get_serializer_class(self):
        if self.action == "create":
            return WaitlistEntryCreateSerializer
        if self.action == "partial_update":
            return WaitlistEntryUpdateSerializer
        if self.action == "withdraw":
            return WithdrawSerializer
        if self.action == "offers":
            return OfferSerializer
        return WaitlistEntrySerializer

    def _show(self, entries: list[WaitlistEntry], *, many: bool):
        now = timezone.now()
        rows = {row.entry.pk: row for row in selectors.entry_rows(entries, now=now)}
        context = {**self.get_serializer_context(), "rows": rows}
        return WaitlistEntrySerializer(entries if many else entries[0], many=many, context=context).data

    def list(self, request, *args, **kwargs):
        entries = self.get_queryset()
        center = query_int(request, "center")
        patient = query_int(request, "patient")
        if center is not None:
            entries = entries.filter(center_id=center)
        if patient is not None:
            entries = entries.filter(patient_id=patient)
        wanted = request.query_params.get("status") or EntryStatus.WAITING
        if wanted not in EntryStatus.values:
            raise ValidationError({"status": [f"One of: {', '.join(EntryStatus.values)}."]})
        ordered = selectors.by_urgency(list(entries.filter(status=wanted)), now=timezone.now())
        page = self.paginate_queryset(ordered)
        return self.get_paginated_response(self._show(list(page or []), many=True))

    def retrieve(self, request, *args, **kwargs):
        return Response(self._show([self.get_object()], many=False))

    def create(self, request, *args, **kwargs):
        serializer = WaitlistEntryCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        patient = data["patient"]
        center = data.pop("center", None) or patient.center
        entry = services.add_to_waitlist(actor=request.user, center=center, **data)
        entry = self.get_queryset().get(pk=entry.pk)
        return Response(self._show([entry], many=False), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        entry = self.get_object()
        serializer = WaitlistEntryUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_waitlist_entry(actor=request.user, entry=entry, **serializer.validated_data)
        return Response(self._show([self.get_queryset().get(pk=entry.pk)], many=False))

    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @schema.WITHDRAW
    @action(detail=True, methods=["post"], parser_classes=[DepthLimitedJSONParser])  # a body is a JSON object
    def withdraw(self, request, pk=None):
        entry = self.get_object()
        serializer = WithdrawSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.remove_from_waitlist(actor=request.user, entry=entry, reason=serializer.validated_data["reason"])
        return Response(self._show([self.get_queryset().get(pk=entry.pk)], many=False))

    @schema.ENTRY_OFFERS
    @action(detail=True, methods=["get"], pagination_class=None)  # one entry's offers: a short list, whole
    def offers(self, request, pk=None):
        entry = self.get_object()
        offers = _offers().filter(entry=entry)
        return Response(OfferSerializer(offers, many=True).data)


def _offers():
    return Offer.objects.select_related("entry", "chair", "release", "answered_by").order_by("-created_at", "-pk")


@extend_schema_view(**schema.OFFERS)
class OfferViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OfferSerializer
    permission_classes = [ModelPermissions]
    pagination_class = Pagination

    def get_queryset(self):
        offers = _offers().filter(entry__center_id__in=user_center_ids(self.request.user))
        if self.action != "list":
            return offers
        entry = query_int(self.request, "entry")
        appointment = query_int(self.request, "appointment")
        wanted = self.request.query_params.get("status")
        if entry is not None:
            offers = offers.filter(entry_id=entry)
        if appointment is not None:
            offers = offers.filter(pk__in=[o.pk for o in selectors.offers_for_appointment(appointment)])
        if wanted:
            offers = offers.filter(status=wanted)
        return offers
