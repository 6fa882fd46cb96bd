"""OpenAPI text and examples of the treatment-plan API (``treatment.api``): summaries, descriptions, examples."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from infusion_center.api_common import (
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_PARAMETER_DOC,
    ErrorSerializer,
    RefusedSerializer,
    crud_schema,
)
from treatment.api_serializers import (
    ReadinessSerializer,
    SeriesBookedSerializer,
    SeriesBookSerializer,
    SeriesProposalSerializer,
    SeriesProposeSerializer,
    WorkQueueEntrySerializer,
)

_ORDER = {
    "patient": 42,
    "protocol": 3,
    "ordering_provider": "Dr. Alvarez",
    "dose_count": 6,
    "first_dose_number": 1,
    "start_date": "2026-11-01",
    "valid_until": "2027-11-01",
    "is_active": True,
    "notes": "",
}
ORDER = crud_schema(
    noun="order",
    plural="orders",
    example={"id": 12, **_ORDER, "protocol_code": "lec", "last_dose_number": 6, "created_by": 5},
    list_description=(
        "Doctor's orders of your centers' patients. Filter by `patient`, `protocol`, `center`, `is_active`, "
        "`ordering_provider` and `valid_on` (a day the order covers); search by provider, patient name or MRN."
    ),
    write_description=(
        "Front desk and center administrators. `valid_until` may not be before `start_date`; a `dose_count` "
        "of 1 or more, or none for an open-ended order. Every change is kept in the order's history with who made it."
    ),
    create_example=_ORDER,
    patch_example={"is_active": False},
    delete_description="Center administrators only; the order's authorizations go with it.",
)

_AUTHORIZATION = {
    "order": 12,
    "payer": "Blue Cross",
    "reference_number": "PA-88231",
    "status": "approved",
    "approved_from": "2026-11-01",
    "approved_until": "2027-04-30",
    "approved_visits": 6,
    "notes": "",
}
AUTHORIZATION = crud_schema(
    noun="prior authorization",
    plural="prior authorizations",
    example={"id": 7, **_AUTHORIZATION, "patient": 42, "created_by": 5},
    list_description=(
        "Prior authorizations of your centers' patients' orders. Filter by `patient`, `order`, `protocol`, "
        "`center`, `status` (repeatable), `payer`, `reference_number`, `ends_before`."
    ),
    write_description=(
        "Front desk and center administrators. The patient is the order's. An `approved` authorization needs "
        "`approved_from` and `approved_until`; `approved_visits` blank means no limit."
    ),
    create_example=_AUTHORIZATION,
    patch_example={"status": "denied"},
    delete_description="Center administrators only.",
)

_DOCUMENT = {"patient": 42, "kind": "mri", "performed_on": "2026-12-01", "result": "acceptable", "notes": ""}
DOCUMENT = crud_schema(
    noun="prerequisite document",
    plural="prerequisite documents",
    example={"id": 30, **_DOCUMENT, "recorded_by": 5},
    list_description=(
        "Checks done or scheduled for your centers' patients (MRI, vaccination, screening…). Filter by "
        "`patient`, `center`, `kind`, `result`, `performed_from`/`performed_to`."
    ),
    write_description="Any staff role. `performed_on` is when it was done, or is scheduled.",
    create_example=_DOCUMENT,
    patch_example={"result": "abnormal", "notes": "ARIA-E, see report"},
    delete_description="Center administrators only.",
)

_PREREQUISITE = {
    "protocol": 3,
    "kind": "mri",
    "applies_to": "listed",
    "dose_numbers": [3, 5, 7, 14],
    "window_days": 30,
    "min_days_before": None,
    "after_previous_dose": True,
    "is_acknowledgeable": False,
    "notes": "Leqembi PI, MRI monitoring (Aug 2025)",
    "is_active": True,
}
PREREQUISITE = crud_schema(
    noun="protocol prerequisite",
    plural="protocol prerequisites",
    example={
        "id": 4,
        **_PREREQUISITE,
        "description": "MRI within 30 days before doses 3, 5, 7, 14 (done after the previous dose)",
    },
    list_description=(
        "The checks each protocol needs before some doses, as rule data. Filter by `protocol`, `kind`, "
        "`applies_to`, `is_active`, `is_acknowledgeable`, `after_previous_dose`."
    ),
    write_description=(
        "Center administrators only. Listed doses need `dose_numbers`; `min_days_before` may not exceed "
        "`window_days` (0 = on the day of the dose)."
    ),
    create_example=_PREREQUISITE,
    patch_example={"window_days": 21},
    delete_description="Center administrators only.",
)


_ITEM_EXAMPLE = {
    "code": "prerequisite_missing",
    "message": "MRI within 30 days before dose 3 (done after the previous dose) is not on record.",
    "can_complete_before_date": True,
    "document_kind": "mri",
    "is_acknowledgeable": False,
}

READINESS = extend_schema(
    summary="Readiness of an appointment's dose",
    description=(
        "Whether the dose is ready to be given: a valid order for its date and number, an approved "
        "authorization with visits left (or not required), and every protocol prerequisite in its window. "
        "Each missing item says whether it can still be done before the date (booking refuses the others) "
        "and whether a nurse may acknowledge it at the chair. Day-of checks of a later dose are in `on_the_day`."
    ),
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="The appointment.")],
    responses={
        200: ReadinessSerializer,
        404: OpenApiResponse(ErrorSerializer, description="No such appointment among your centers."),
    },
    examples=[
        OpenApiExample(
            "Not ready",
            value={
                "appointment": 101,
                "ready": False,
                "missing": [_ITEM_EXAMPLE],
                "on_the_day": [],
                "override_reason": "",
            },
            response_only=True,
        )
    ],
)

_IDEMPOTENCY_PARAM = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False, description=IDEMPOTENCY_PARAMETER_DOC
)
_PROPOSAL_EXAMPLE = {
    "order": 12,
    "is_reflow": False,
    "is_bookable": True,
    "doses": [
        {
            "dose_number": 3,
            "due": "2026-12-15",
            "earliest": "2026-12-12",
            "latest": "2026-12-18",
            "chair": 7,
            "chair_label": "C07",
            "start": "2026-12-15T09:00:00-05:00",
            "end": "2026-12-15T10:30:00-05:00",
            "note": "",
            "problems": [],
            "is_placed": True,
            "readiness": [_ITEM_EXAMPLE],
        }
    ],
    "replaces": [],
    "notes": ["Planned from dose 2 on 2026-12-01."],
}

SERIES_PROPOSE = extend_schema(
    summary="Propose the order's remaining doses",
    description=(
        "Every remaining dose of the order, each placed by the slot planner on the day closest to its due date "
        "within the protocol's window, the order's and the authorization's date ranges and visits left — the "
        "same proposal the series page shows. Nothing is booked. `reflow` re-plans from the last dose given "
        "(future booked doses would be replaced: `replaces`). Needs the permission to book appointments."
    ),
    request=SeriesProposeSerializer,
    responses={
        200: SeriesProposalSerializer,
        403: OpenApiResponse(ErrorSerializer, description="Your role may not book appointments."),
        404: OpenApiResponse(ErrorSerializer, description="No such order among your centers."),
    },
    examples=[
        OpenApiExample("From a day", value={"first_day": "2026-12-07", "time_of_day": "morning"}, request_only=True),
        OpenApiExample("Proposal", value=_PROPOSAL_EXAMPLE, response_only=True),
    ],
)

SERIES_BOOK = extend_schema(
    summary="Book a series, all or nothing",
    description=(
        "Books every listed dose (`dose_number`, `chair`, `start`) in one transaction under the locks of their "
        "days, each through the booking service (planner re-check, dose order and spacing, readiness): one "
        "refused dose books none, and the 409 names the dose in each reason. Without `doses` the server's "
        "current proposal is booked as it stands (409 `dose_not_placed` when a dose found no slot). A re-flow "
        "cancels `replaces` first, in the same transaction. Accepts an `Idempotency-Key` header."
    ),
    request=SeriesBookSerializer,
    parameters=[_IDEMPOTENCY_PARAM],
    responses={
        201: SeriesBookedSerializer,
        403: OpenApiResponse(ErrorSerializer, description="Your role may not book appointments."),
        404: OpenApiResponse(ErrorSerializer, description="No such order (or chair) among your centers."),
        409: OpenApiResponse(RefusedSerializer, description="A dose was refused, so none was booked."),
        422: OpenApiResponse(ErrorSerializer, description="The Idempotency-Key was used for a different request."),
    },
    examples=[
        OpenApiExample(
            "Doses",
            value={"doses": [{"dose_number": 3, "chair": 7, "start": "2026-12-15T09:00:00-05:00"}]},
            request_only=True,
        ),
        OpenApiExample(
            "Refused",
            value={
                "code": "chair_taken",
                "detail": "Dose 4: This chair was just booked by someone else for an overlapping time.",
                "reasons": [
                    {
                        "code": "chair_taken",
                        "message": "Dose 4: This chair was just booked by someone else for an overlapping time.",
                    }
                ],
            },
            response_only=True,
            status_codes=["409"],
        ),
    ],
)

WORK_QUEUE = extend_schema(
    summary="The work queue",
    description=(
        "Booked doses of the next 21 days (today included, in the center's time zone) that are not ready, soonest "
        "first, with what each is missing — the list of `/treatment/work-queue/`. `center` defaults to your "
        "first; filter by local `date`, missing `kind` (order, authorization, check) and `protocol`."
    ),
    parameters=[
        OpenApiParameter("center", int, description="A center you work at (default: your first)."),
        OpenApiParameter("date", OpenApiTypes.DATE, description="Only doses on this local day."),
        OpenApiParameter("kind", str, enum=["order", "authorization", "check"], description="What is missing."),
        OpenApiParameter("protocol", int, description="Only this protocol."),
    ],
    responses={
        200: WorkQueueEntrySerializer(many=True),
        404: OpenApiResponse(ErrorSerializer, description="No such center among yours."),
    },
    examples=[
        OpenApiExample(
            "Not ready",
            value={
                "appointment": 101,
                "patient": 42,
                "patient_name": "Maria Lopez",
                "protocol": 3,
                "protocol_code": "lec",
                "chair": 7,
                "start": "2026-12-15T09:00:00-05:00",
                "dose_number": 3,
                "kinds": ["check"],
                "missing": [_ITEM_EXAMPLE],
            },
            response_only=True,
        )
    ],
)
