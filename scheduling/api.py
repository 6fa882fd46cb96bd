"""REST API views for protocols, availability (the slot planner) and appointments with their state machine.

Booking, moving and every status change go through ``scheduling.services`` — the same code the pages
use — so the lock on the center's day, the planner's re-check and the exclusion constraint protect API clients too.
Refusals come back as 409 with the reasons (see ``infusion_center.api_common.exception_handler``, the one
place a domain error becomes an HTTP answer). What the endpoints read and write is in ``api_serializers``;
their OpenAPI text and examples in ``api_schema``.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import (
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from infusion_center.api_common import (
    ModelPermissions,
    Pagination,
    idempotent,
    user_center_ids,
)
from regimens.dosing import remembering_patient_facts
from reminders.selectors import appointment_reminders
from scheduling import api_schema as schema
from scheduling import services
from scheduling.api_filters import AppointmentFilter
from scheduling.api_serializers import (
    API_ACTIONS,
    AppointmentRemindersSerializer,
    AppointmentSerializer,
    AvailabilityQuerySerializer,
    AvailabilitySerializer,
    BookingSerializer,
    CancelSerializer,
    ChairStepSerializer,
    CompleteSerializer,
    ProtocolSerializer,
    RescheduleSerializer,
    SeatSerializer,
)
from scheduling.models import Appointment, Protocol
from scheduling.protocol_settings import protocol_for_center
from scheduling.slot_search import find_candidates

# --- Protocols -----------------------------------------------------------------------------------


@extend_schema_view(**schema.PROTOCOL)
class ProtocolViewSet(viewsets.ModelViewSet):
    serializer_class = ProtocolSerializer
    permission_classes = [ModelPermissions]
    pagination_class = Pagination
    queryset = Protocol.objects.all()
    filterset_fields = ["is_active", "required_chair_kind", "code"]
    search_fields = ["code", "name", "drug", "brand"]
    ordering_fields = ["code", "name", "drug", "id"]
    ordering = ["code"]


# --- Appointments --------------------------------------------------------------------------------


@extend_schema_view(**schema.APPOINTMENT)
class AppointmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = AppointmentSerializer
    permission_classes = [ModelPermissions]
    pagination_class = Pagination
    filterset_class = AppointmentFilter
    ordering_fields = ["start", "end", "status", "chair", "id", "created_at"]
    ordering = ["start", "chair"]
    action_permissions = {
        **{machine: "change" for machine in API_ACTIONS.values()},
        "reschedule": "change",
        "reminders": "view",
    }

    def get_queryset(self):
        return Appointment.objects.filter(center_id__in=user_center_ids(self.request.user)).select_related(
            "center", "patient", "protocol", "chair"
        )

    def get_serializer_class(self):
        if self.action == "create":
            return BookingSerializer
        if self.action == "cancel":
            return CancelSerializer
        if self.action == "seat":
            return SeatSerializer
        if self.action == "reschedule":
            return RescheduleSerializer
        return AppointmentSerializer

    def _answer(self, appointment: Appointment, code: int = status.HTTP_200_OK) -> Response:
        warnings = getattr(appointment, "readiness_warnings", [])
        appointment = self.get_queryset().get(pk=appointment.pk)
        appointment.readiness_warnings = warnings  # type: ignore[attr-defined]
        return Response(AppointmentSerializer(appointment, context=self.get_serializer_context()).data, status=code)

    @schema.CREATE
    @idempotent
    def create(self, request):
        serializer = BookingSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        appointment = services.book_appointment(
            actor=request.user,
            patient=data["patient"],
            protocol=data["protocol"],
            chair=data["chair"],
            start=data["start"],
            dose_number=data["dose_number"],
            notes=data["notes"],
            readiness_override_reason=data["readiness_override_reason"],
        )
        # The booked row as written (center, patient, protocol and chair already loaded): no re-read.
        data = AppointmentSerializer(appointment, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    def _transition(self, request, machine_action: str, **extra) -> Response:
        appointment = self.get_object()
        appointment = services.transition(actor=request.user, appointment=appointment, action=machine_action, **extra)
        return self._answer(appointment)

    @schema.CHECK_IN
    @action(detail=True, methods=["post"], url_path="check-in", serializer_class=serializers.Serializer)
    @idempotent
    def check_in(self, request, pk=None):
        return self._transition(request, "check_in")

    @schema.SEAT
    @action(detail=True, methods=["post"])
    @idempotent
    def seat(self, request, pk=None):
        appointment = self.get_object()
        serializer = SeatSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        chair = serializer.validated_data.get("chair")
        appointment = services.transition(
            actor=request.user,
            appointment=appointment,
            action="seat",
            chair=chair,
            readiness_reason=serializer.validated_data["readiness_reason"],
        )
        return self._answer(appointment)

    @schema.START_INFUSION
    @action(detail=True, methods=["post"], url_path="start-infusion", serializer_class=ChairStepSerializer)
    @idempotent
    def start_infusion(self, request, pk=None):
        serializer = ChairStepSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._transition(
            request, "start_infusion", readiness_reason=serializer.validated_data["readiness_reason"]
        )

    @schema.START_OBSERVATION
    @action(detail=True, methods=["post"], url_path="start-observation", serializer_class=serializers.Serializer)
    @idempotent
    def start_observation(self, request, pk=None):
        return self._transition(request, "start_observation")

    @schema.COMPLETE
    @action(detail=True, methods=["post"], serializer_class=CompleteSerializer)
    @idempotent
    def complete(self, request, pk=None):
        serializer = CompleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._transition(request, "complete", **serializer.validated_data)

    @schema.NO_SHOW
    @action(detail=True, methods=["post"], url_path="no-show", serializer_class=serializers.Serializer)
    @idempotent
    def no_show(self, request, pk=None):
        return self._transition(request, "no_show")

    @schema.CANCEL
    @action(detail=True, methods=["post"])
    @idempotent
    def cancel(self, request, pk=None):
        serializer = CancelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._transition(
            request,
            "cancel",
            cancelled_by=serializer.validated_data["cancelled_by"],
            reason=serializer.validated_data["reason"],
        )

    @schema.RESCHEDULE
    @action(detail=True, methods=["post"])
    @idempotent
    def reschedule(self, request, pk=None):
        appointment = self.get_object()
        serializer = RescheduleSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        chair = serializer.validated_data.get("chair") or appointment.chair
        appointment = services.move_appointment(
            actor=request.user, appointment=appointment, chair=chair, start=serializer.validated_data["start"]
        )
        return self._answer(appointment)

    @schema.REMINDERS
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def reminders(self, request, pk=None):
        appointment = self.get_object()
        history = appointment_reminders(appointment)
        body = {"appointment": appointment.pk, "reminders": history["reminders"], "replies": history["replies"]}
        with timezone.override(appointment.center.tzinfo):
            data = AppointmentRemindersSerializer(body).data
        return Response(data)


class AvailabilityView(APIView):
    """Where and when the protocol fits: the slot planner's ranked candidates and the reasons per day."""

    permission_classes = [ModelPermissions]
    queryset = Appointment.objects.none()  # the permission asks for view_appointment

    @schema.AVAILABILITY
    @remembering_patient_facts()  # the search and the answer's chair minutes read the patient's facts once
    def get(self, request):
        query = AvailabilityQuerySerializer(data=request.query_params.dict(), context={"request": request})
        query.is_valid(raise_exception=True)
        q = query.validated_data
        center, protocol, dose = q["center"], q["protocol"], q["dose_number"]
        excluded = q.get("exclude_appointment")
        patient = q.get("patient")
        result = find_candidates(
            center=center,
            protocol=protocol,
            dose_number=dose,
            date_from=q["date_from"],
            date_to=q["date_to"],
            patient=patient,
            time_of_day=q["time_of_day"],
            weekdays=q.get("weekdays"),
            exclude_appointment_id=excluded.pk if excluded else None,
            limit=q["limit"],
        )
        body = {
            "center": center.pk,
            "protocol": protocol.pk,
            "dose_number": dose,
            "chair_minutes": protocol_for_center(protocol, center).chair_minutes(dose, patient),
            "date_from": q["date_from"],
            "date_to": q["date_to"],
            "candidates": list(result.candidates),
            "days": list(result.days),
        }
        with timezone.override(center.tzinfo):
            data = AvailabilitySerializer(body).data
        return Response(data)


__all__ = ["AppointmentViewSet", "AvailabilityView", "ProtocolViewSet"]
