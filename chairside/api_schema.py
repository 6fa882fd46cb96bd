"""OpenAPI text and examples of the chair-side API (``chairside.api``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from chairside.api_serializers import (
    DosePlanSerializer,
    PreparationSerializer,
    PreparationStepSerializer,
    QueueRowSerializer,
)
from infusion_center.api_common import ERROR_EXAMPLES, ErrorSerializer

_ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="The appointment.")
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such appointment among your centers.")

VITALS = {"phase": "pre", "taken_at": "2026-12-07T09:10:00-05:00", "systolic": 124, "diastolic": 78, "pulse": 72}
REACTION = {
    "grade": 2,
    "symptoms": ["rash", "itching"],
    "action": "paused",
    "treatment_given": "cetirizine 10 mg",
    "premedication_change": "cetirizine 10 mg 30 min before",
}
LOT = {"lot_number": "A1234", "expires_on": "2027-06-30"}
RATE = {"rate_ml_per_h": "120.0", "started_at": "2026-12-07T09:40:00-05:00"}
PREMED = {"order": 12, "given_at": "2026-12-07T09:05:00-05:00"}


def _recorded(example: dict) -> dict:
    """A request example as the record reads back: its id, appointment and author added."""
    return {"id": 31, "appointment": 812, "recorded_by": "nina.nurse", **example}


def records(noun: str, serializer, *, example: dict):
    """The GET (list) and POST (record one) of an appointment's chair-side records of one kind."""
    return extend_schema_view(
        get=extend_schema(
            summary=f"An appointment's {noun}",
            description=f"The {noun} documented for the appointment, oldest first.",
            parameters=[_ID],
            responses={200: serializer(many=True), 404: _NOT_FOUND},
            examples=[OpenApiExample(f"The {noun} so far", value=[_recorded(example)], response_only=True)],
        ),
        post=extend_schema(
            summary=f"Record {noun}",
            description=(
                f"Record {noun} for the appointment (nurses and center administrators; who and when are kept "
                "in the record's history). A value out of range is a 400 naming the field; a patient not at "
                "the chair a 400 with `code` `not_at_chair`."
            ),
            parameters=[_ID],
            request=serializer,
            responses={201: serializer, 404: _NOT_FOUND},
            examples=[OpenApiExample(f"New {noun}", value=example, request_only=True), ERROR_EXAMPLES["400"]],
        ),
    )


DOSE_PLAN = extend_schema(
    summary="An appointment's dose plan",
    description=(
        "The amount of the dose (by dose number, weight, weight band or course), the weight it was computed "
        "from and whether it is stale, the rate ladder's steps, and the set-up, pre-medication, infusion and "
        "observation minutes that make the chair time every booking uses (`regimens.dosing.chair_minutes`). "
        "`requirements` are what earlier reactions changed; `problems` what must be done before the dose."
    ),
    parameters=[_ID],
    responses={200: DosePlanSerializer, 404: _NOT_FOUND},
    examples=[
        OpenApiExample(
            "Efgartigimod by weight",
            value={
                "appointment": 812,
                "dose_number": 2,
                "amount_mg": "800.0",
                "amount_label": "800 mg (10 mg/kg × 80 kg)",
                "weight_kg": "80.0",
                "weight_measured_on": "2026-11-20",
                "is_weight_stale": False,
                "needs_weight": True,
                "course_days": None,
                "infusion_source": "protocol",
                "ladder_name": "",
                "steps": [],
                "setup_minutes": 15,
                "premedication_minutes": 0,
                "infusion_minutes": 60,
                "observation_minutes": 60,
                "chair_minutes": 135,
                "requirements": [],
                "problems": [],
            },
            response_only=True,
        )
    ],
)

_PREPARATION = {
    "appointment": 812,
    "status": "prepared",
    "status_label": "Prepared",
    "prepared_at": "2026-12-07T08:40:00-05:00",
    "dispensed_at": None,
    "wasted_at": None,
    "waste_reason": "",
}

PREPARATION_GET = extend_schema(
    summary="A dose's preparation by the pharmacy",
    parameters=[_ID],
    responses={200: PreparationSerializer, 404: _NOT_FOUND},
    examples=[OpenApiExample("Prepared", value=_PREPARATION, response_only=True)],
)

PREPARATION_POST = extend_schema(
    summary="Move a dose's preparation one step",
    description=(
        "to_prepare → prepared → dispensed; prepared or dispensed → wasted (with a reason); prepared → "
        "to_prepare undoes a mistake. Pharmacy staff and center administrators of the appointment's center. "
        "A step that does not follow is a 400 with `code` `invalid_preparation_step`; dispensing before the "
        "patient arrived a 400 with `patient_not_arrived`."
    ),
    parameters=[_ID],
    request=PreparationStepSerializer,
    responses={200: PreparationSerializer, 404: _NOT_FOUND},
    examples=[OpenApiExample("Dispense", value={"status": "dispensed"}, request_only=True)],
)

PHARMACY_QUEUE = extend_schema(
    summary="The pharmacy queue of a day",
    description=(
        "The day's pharmacy-prepared doses in the order preparation must start: `prepare_by` (the infusion's "
        "start less the preparation lead time) and `not_before` (less the diluted drug's stability)."
    ),
    parameters=[
        OpenApiParameter("center", OpenApiTypes.INT, description="The center (default: your first)."),
        OpenApiParameter("date", OpenApiTypes.DATE, description="The local day (default: today)."),
    ],
    responses={
        200: inline_serializer(
            "PharmacyQueue",
            {
                "center": serializers.IntegerField(),
                "date": serializers.DateField(),
                "doses": QueueRowSerializer(many=True),
            },
        ),
        404: OpenApiResponse(ErrorSerializer, description="No such center among yours."),
    },
    examples=[
        OpenApiExample(
            "One dose to prepare",
            value={
                "center": 1,
                "date": "2026-12-07",
                "doses": [
                    {
                        "appointment": 812,
                        "patient": 42,
                        "protocol": "ocr",
                        "dose_number": 3,
                        "start": "2026-12-07T09:00:00-05:00",
                        "amount_label": "600 mg",
                        "status": "to_prepare",
                        "status_label": "To prepare",
                        "needed_at": "2026-12-07T09:30:00-05:00",
                        "prepare_by": "2026-12-07T08:30:00-05:00",
                        "not_before": "2026-12-06T09:30:00-05:00",
                        "waste_reason": "",
                        "allowed_steps": ["prepared"],
                    }
                ],
            },
            response_only=True,
        )
    ],
)
