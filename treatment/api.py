"""REST API of treatment plans: orders, prior authorizations, prerequisite documents, the protocols'
prerequisite rules, a dose's readiness, whole-series proposal and booking, and the work queue.

Thin, like ``scheduling.api``: writes go through ``treatment.services`` (who changed what is kept in
the history) and series through ``treatment.series`` — the page's own functions, so the API books a
series all or nothing under the same rules. Everything is scoped to the user's centers through the
patient (another center's record is a 404); protocol prerequisites are rule data shared by every
center, like protocols. Refusals are 409 with ``code``, ``detail`` and ``reasons``
(``infusion_center.api_common.exception_handler``).
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from rest_framework import exceptions, generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from chairs.selectors import center_for
from infusion_center.api_common import ModelPermissions, Pagination, idempotent, user_center_ids
from scheduling.api_serializers import AppointmentSerializer
from scheduling.errors import BookingRefused, Reason
from scheduling.models import Appointment
from treatment import api_schema as schema
from treatment import series
from treatment import services as plans
from treatment.api_filters import AuthorizationFilter, DocumentFilter, OrderFilter, PrerequisiteFilter
from treatment.api_serializers import (
    AuthorizationSerializer,
    OrderSerializer,
    PrerequisiteDocumentSerializer,
    ProtocolPrerequisiteSerializer,
    ReadinessSerializer,
    SeriesBookSerializer,
    SeriesProposalSerializer,
    SeriesProposeSerializer,
    WorkQueueEntrySerializer,
    WorkQueueQuerySerializer,
)
from treatment.models import Order, PrerequisiteDocument, PriorAuthorization, ProtocolPrerequisite
from treatment.readiness import readiness_of
from treatment.selectors import filter_queue, upcoming_not_ready


class _PlanViewSet(viewsets.ModelViewSet):
    permission_classes = [ModelPermissions]
    pagination_class = Pagination

    def _actor(self) -> User:
        return cast(User, self.request.user)  # ModelPermissions let only signed-in users through

    def perform_destroy(self, instance):
        plans.delete_record(actor=self._actor(), instance=instance)


@extend_schema_view(**schema.ORDER)
class OrderViewSet(_PlanViewSet):
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    ordering_fields = ["start_date", "valid_until", "id", "updated_at"]
    ordering = ["-start_date", "-id"]
    search_fields = ["ordering_provider", "patient__last_name", "patient__mrn"]
    action_permissions = {"series_propose": "view", "series_book": "view"}

    def get_queryset(self):
        return Order.objects.filter(patient__center_id__in=user_center_ids(self.request.user)).select_related(
            "patient__center", "protocol"
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        patient = data.pop("patient")
        serializer.instance = plans.save_order(actor=self._actor(), order=Order(**data), patient=patient)

    def perform_update(self, serializer):
        order = serializer.instance
        data = dict(serializer.validated_data)
        patient = data.pop("patient", order.patient)
        for name, value in data.items():
            setattr(order, name, value)
        plans.save_order(actor=self._actor(), order=order, patient=patient)

    def _booking_order(self) -> Order:
        if not self.request.user.has_perm("scheduling.add_appointment"):
            raise exceptions.PermissionDenied("Your role may not book appointments.")
        return self.get_object()

    @schema.SERIES_PROPOSE
    @action(detail=True, methods=["post"], url_path="series/propose", serializer_class=SeriesProposeSerializer)
    def series_propose(self, request, pk=None):
        order = self._booking_order()
        query = SeriesProposeSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        proposal = self._propose(order, query.validated_data)
        with timezone.override(order.patient.center.tzinfo):
            return Response(SeriesProposalSerializer(proposal).data)

    @staticmethod
    def _propose(order: Order, data: dict) -> series.SeriesProposal:
        return series.propose_series(
            order=order, reflow=data["reflow"], first_day=data.get("first_day"), time_of_day=data["time_of_day"]
        )

    @schema.SERIES_BOOK
    @action(detail=True, methods=["post"], url_path="series/book", serializer_class=SeriesBookSerializer)
    @idempotent
    def series_book(self, request, pk=None):
        order = self._booking_order()
        body = SeriesBookSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if "doses" in data:
            doses = [(d["dose_number"], d["chair"].pk, d["start"]) for d in data["doses"]]
            replaces = data.get("replaces", [])
        else:
            proposal = self._propose(order, data)
            _refuse_unplaced(proposal)
            doses = [(d.dose_number, d.chair_id, d.start) for d in proposal.doses]
            replaces = [a.pk for a in proposal.replaces]
        booked = series.book_series(
            actor=request.user, order=order, doses=doses, replaces=replaces, override_reason=data["override_reason"]
        )
        appointments = {
            a.pk: a
            for a in Appointment.objects.filter(pk__in=[a.pk for a in booked]).select_related(
                "center", "patient", "protocol", "chair"
            )
        }
        for appointment in booked:
            appointments[appointment.pk].readiness_warnings = getattr(appointment, "readiness_warnings", [])
        context = self.get_serializer_context()
        answer = {
            "order": order.pk,
            "cancelled": sorted(replaces),
            "appointments": [AppointmentSerializer(appointments[a.pk], context=context).data for a in booked],
        }
        return Response(answer, status=status.HTTP_201_CREATED)


def _refuse_unplaced(proposal: series.SeriesProposal) -> None:
    """Booking the server's proposal as it stands: every dose must have found a slot, or nothing is booked."""
    reasons = [
        Reason("dose_not_placed", f"Dose {dose.dose_number}: {problem}")
        for dose in proposal.doses
        for problem in dose.problems or (["no slot was found"] if not dose.is_placed else [])
    ]
    if not proposal.doses:
        reasons = [Reason("empty_series", " ".join(proposal.notes) or "There is no dose to book.")]
    if reasons:
        raise BookingRefused(reasons)


@extend_schema_view(**schema.AUTHORIZATION)
class AuthorizationViewSet(_PlanViewSet):
    serializer_class = AuthorizationSerializer
    filterset_class = AuthorizationFilter
    ordering_fields = ["approved_until", "approved_from", "id", "updated_at"]
    ordering = ["-approved_until", "-id"]
    search_fields = ["payer", "reference_number"]

    def get_queryset(self):
        return PriorAuthorization.objects.filter(
            patient__center_id__in=user_center_ids(self.request.user)
        ).select_related("patient__center", "order")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        order = data.pop("order")
        data.pop("patient", None)
        serializer.instance = plans.save_authorization(
            actor=self._actor(), authorization=PriorAuthorization(**data), order=order
        )

    def perform_update(self, serializer):
        authorization = serializer.instance
        data = dict(serializer.validated_data)
        order = data.pop("order", authorization.order)
        data.pop("patient", None)
        for name, value in data.items():
            setattr(authorization, name, value)
        plans.save_authorization(actor=self._actor(), authorization=authorization, order=order)


@extend_schema_view(**schema.DOCUMENT)
class PrerequisiteDocumentViewSet(_PlanViewSet):
    serializer_class = PrerequisiteDocumentSerializer
    filterset_class = DocumentFilter
    ordering_fields = ["performed_on", "id", "updated_at"]
    ordering = ["-performed_on", "-id"]

    def get_queryset(self):
        return PrerequisiteDocument.objects.filter(
            patient__center_id__in=user_center_ids(self.request.user)
        ).select_related("patient__center")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        patient = data.pop("patient")
        serializer.instance = plans.save_document(
            actor=self._actor(), document=PrerequisiteDocument(**data), patient=patient
        )

    def perform_update(self, serializer):
        document = serializer.instance
        data = dict(serializer.validated_data)
        patient = data.pop("patient", document.patient)
        for name, value in data.items():
            setattr(document, name, value)
        plans.save_document(actor=self._actor(), document=document, patient=patient)


@extend_schema_view(**schema.PREREQUISITE)
class ProtocolPrerequisiteViewSet(_PlanViewSet):
    serializer_class = ProtocolPrerequisiteSerializer
    filterset_class = PrerequisiteFilter
    queryset = ProtocolPrerequisite.objects.select_related("protocol")
    ordering_fields = ["protocol", "kind", "id"]
    ordering = ["protocol", "kind", "id"]

    def perform_create(self, serializer):
        serializer.instance = plans.save_prerequisite(
            actor=self._actor(), prerequisite=ProtocolPrerequisite(**serializer.validated_data)
        )

    def perform_update(self, serializer):
        prerequisite = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(prerequisite, name, value)
        plans.save_prerequisite(actor=self._actor(), prerequisite=prerequisite)


class AppointmentReadinessView(APIView):
    """Is this dose ready? Its order, authorization and checks, each missing item with what it needs."""

    permission_classes = [ModelPermissions]
    queryset = Appointment.objects.none()  # the permission asks for view_appointment

    @schema.READINESS
    def get(self, request, pk: int):
        appointment = get_object_or_404(
            Appointment.objects.filter(center_id__in=user_center_ids(request.user)).select_related(
                "center", "patient", "protocol"
            ),
            pk=pk,
        )
        readiness = readiness_of(appointment)
        body = {
            "appointment": appointment.pk,
            "ready": readiness.ready,
            "missing": readiness.missing,
            "on_the_day": readiness.on_the_day,
            "override_reason": readiness.override_reason,
        }
        return Response(ReadinessSerializer(body).data)


@extend_schema_view(get=schema.WORK_QUEUE)
class WorkQueueView(generics.ListAPIView):
    """The work queue's doses (the next 21 days) that are not ready, soonest first, with what is missing."""

    permission_classes = [ModelPermissions]
    pagination_class = Pagination
    serializer_class = WorkQueueEntrySerializer
    queryset = Appointment.objects.none()  # the permission asks for view_appointment
    filter_backends: list = []

    def list(self, request, *args, **kwargs):
        query = WorkQueueQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        q = query.validated_data
        center = center_for(user=request.user, center_id=q.get("center"))
        if center is None:
            raise exceptions.NotFound("No such center among yours.")
        entries = filter_queue(
            upcoming_not_ready(center=center),
            day=q.get("date"),
            kind=q.get("kind", ""),
            protocol_id=q.get("protocol"),
        )
        page: list | None = self.paginate_queryset(entries)  # type: ignore[arg-type]  # a list pages like a queryset
        with timezone.override(center.tzinfo):
            data = WorkQueueEntrySerializer(page, many=True).data
        return self.get_paginated_response(data)


__all__ = [
    "AppointmentReadinessView",
    "AuthorizationViewSet",
    "OrderViewSet",
    "PrerequisiteDocumentViewSet",
    "ProtocolPrerequisiteViewSet",
    "WorkQueueView",
]
