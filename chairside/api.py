"""REST API of chair-side care: an appointment's vitals, reactions, drug lots, rate steps and
pre-medications given; its dose plan; its preparation by the pharmacy and the day's pharmacy queue.

Thin, like ``treatment.api``: every write goes through ``chairside.services`` — the functions the
pages call, which check the role and the patient's stage and record who made the change (history)
— and every read through the selectors the pages use. Appointments are scoped to the user's centers
(another center's is a 404). Permissions are the role groups' model permissions: nurses and center
administrators write the chair-side records, pharmacy staff change preparations, front-desk staff
read the dose plan (the amount and chair time they book by). Bad input is a 400 naming the field;
a refused step (an expired lot, a dose not yet arrived) a 400 or 409 with its ``code``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.shortcuts import get_object_or_404
from django.utils import timezone
from rest_framework import permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from chairs.selectors import center_for, local_today
from chairside import api_schema as schema
from chairside import selectors, services
from chairside.api_serializers import (
    DosePlanSerializer,
    DrugLotSerializer,
    InfusionReactionSerializer,
    PremedicationGivenSerializer,
    PreparationSerializer,
    PreparationStepSerializer,
    QueueRowSerializer,
    RateGivenSerializer,
    VitalSignsSerializer,
)
from chairside.models import (
    DosePreparation,
    DrugLot,
    InfusionReaction,
    PremedicationGiven,
    PreparationStatus,
    RateGiven,
    VitalSigns,
)
from infusion_center.api_common import idempotent, parse_date, query_int, user_center_ids
from regimens.dosing import dose_plan
from scheduling.models import Appointment


class _Perm(permissions.BasePermission):
    """The model permission a view names for reading (``read_perm``) and for writing (``write_perm``)."""

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        wanted = view.read_perm if request.method in permissions.SAFE_METHODS else view.write_perm
        return request.user.has_perm(wanted)


def _appointment(request, pk) -> Appointment:
    return get_object_or_404(
        Appointment.objects.filter(center_id__in=user_center_ids(request.user)).select_related(
            "center", "patient", "protocol"
        ),
        pk=pk,
    )


class _RecordsView(APIView):
    """GET an appointment's records of one kind; POST one more through its service."""

    permission_classes = [_Perm]
    model: ClassVar[type[models.Model]]
    serializer_class: ClassVar[type[serializers.ModelSerializer]]
    order_by: ClassVar[str]

    @property
    def read_perm(self) -> str:
        return f"chairside.view_{self.model._meta.model_name}"

    @property
    def write_perm(self) -> str:
        return f"chairside.add_{self.model._meta.model_name}"

    def record(self, *, actor, appointment: Appointment, **data: Any) -> models.Model:
        raise NotImplementedError

    def get(self, request, pk):
        appointment = _appointment(request, pk)
        rows = self.model.objects.filter(appointment=appointment).order_by(self.order_by)  # type: ignore[attr-defined]
        return Response(self.serializer_class(rows, many=True).data)

    @idempotent
    def post(self, request, pk):
        appointment = _appointment(request, pk)
        body = self.serializer_class(data=request.data, context={"appointment": appointment})
        body.is_valid(raise_exception=True)
        created = self.record(actor=request.user, appointment=appointment, **body.validated_data)
        return Response(self.serializer_class(created).data, status=status.HTTP_201_CREATED)


@schema.records("vital signs", VitalSignsSerializer, example=schema.VITALS)
class VitalSignsView(_RecordsView):
    model = VitalSigns
    serializer_class = VitalSignsSerializer
    order_by = "taken_at"
    record = staticmethod(services.record_vitals)


@schema.records("infusion reactions", InfusionReactionSerializer, example=schema.REACTION)
class InfusionReactionsView(_RecordsView):
    model = InfusionReaction
    serializer_class = InfusionReactionSerializer
    order_by = "onset_at"
    record = staticmethod(services.record_reaction)


@schema.records("drug lots", DrugLotSerializer, example=schema.LOT)
class DrugLotsView(_RecordsView):
    model = DrugLot
    serializer_class = DrugLotSerializer
    order_by = "recorded_at"
    record = staticmethod(services.record_lot)


@schema.records("rate steps given", RateGivenSerializer, example=schema.RATE)
class RateStepsView(_RecordsView):
    model = RateGiven
    serializer_class = RateGivenSerializer
    order_by = "started_at"
    record = staticmethod(services.record_rate)


@schema.records("pre-medications given", PremedicationGivenSerializer, example=schema.PREMED)
class PremedicationsGivenView(_RecordsView):
    model = PremedicationGiven
    serializer_class = PremedicationGivenSerializer
    order_by = "given_at"
    record = staticmethod(services.record_premedication_given)


class DosePlanView(APIView):
    """The dose's amount, the weight it was computed from, its rate ladder and its chair time."""

    permission_classes = [_Perm]
    read_perm = write_perm = "scheduling.view_appointment"

    @schema.DOSE_PLAN
    def get(self, request, pk):
        appointment = _appointment(request, pk)
        plan = dose_plan(
            protocol=appointment.protocol,
            dose_number=appointment.dose_number,
            patient=appointment.patient,
            on=appointment.start.astimezone(appointment.center.tzinfo).date(),
        )
        body = {**plan.__dict__, "appointment": appointment.pk, "chair_minutes": plan.chair_minutes}
        body["steps"] = [step.__dict__ for step in plan.steps]
        return Response(DosePlanSerializer(body).data)


def _preparation_body(appointment: Appointment, preparation: DosePreparation | None) -> dict:
    status_ = preparation.status if preparation else PreparationStatus.TO_PREPARE
    return {
        "appointment": appointment.pk,
        "status": status_,
        "status_label": PreparationStatus(status_).label,
        "prepared_at": preparation.prepared_at if preparation else None,
        "dispensed_at": preparation.dispensed_at if preparation else None,
        "wasted_at": preparation.wasted_at if preparation else None,
        "waste_reason": preparation.waste_reason if preparation else "",
    }


class PreparationView(APIView):
    """A dose's preparation by the pharmacy: read it; move it one step (the pharmacy queue's service)."""

    permission_classes = [_Perm]
    read_perm = "chairside.view_dosepreparation"
    write_perm = "chairside.change_dosepreparation"

    @schema.PREPARATION_GET
    def get(self, request, pk):
        appointment = _appointment(request, pk)
        preparation = DosePreparation.objects.filter(appointment=appointment).first()
        return Response(PreparationSerializer(_preparation_body(appointment, preparation)).data)

    @schema.PREPARATION_POST
    @idempotent
    def post(self, request, pk):
        appointment = _appointment(request, pk)
        body = PreparationStepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        preparation = services.set_preparation_status(
            actor=request.user, appointment=appointment, **body.validated_data
        )
        return Response(PreparationSerializer(_preparation_body(appointment, preparation)).data)


class PharmacyQueueView(APIView):
    """A day's pharmacy-prepared doses in the order they must be prepared (``chairside.selectors``)."""

    permission_classes = [_Perm]
    read_perm = write_perm = "chairside.view_dosepreparation"

    @schema.PHARMACY_QUEUE
    def get(self, request):
        center_id = query_int(request, "center", message="Give a center id.")
        center = center_for(user=request.user, center_id=center_id)
        if center is None:
            return Response({"code": "not_found", "detail": "No such center among yours."}, status=404)
        raw_day = request.query_params.get("date")
        day = parse_date(raw_day, field="date") if raw_day else local_today(center=center)
        rows = selectors.pharmacy_queue(center=center, day=day)
        with timezone.override(center.tzinfo):
            return Response(
                {"center": center.pk, "date": day.isoformat(), "doses": QueueRowSerializer(rows, many=True).data}
            )
