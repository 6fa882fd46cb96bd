"""OpenAPI text and examples of the scheduling API (``scheduling.api``): summaries, descriptions, examples.

Kept apart from the views so that the views read as code; each constant here decorates one endpoint.
It is a little over 400 lines because it is prose and example bodies, not logic.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)

from infusion_center.api_common import (
    ERROR_EXAMPLES,
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_PARAMETER_DOC,
    ErrorSerializer,
    RefusedSerializer,
    crud_schema,
)
from scheduling import planner
from scheduling.api_serializers import (
    MAX_RANGE_DAYS,
    AppointmentRemindersSerializer,
    AppointmentSerializer,
    AvailabilitySerializer,
    BookingSerializer,
    CancelSerializer,
    ChairStepSerializer,
    RescheduleSerializer,
    SeatSerializer,
)

_PROTOCOL_EXAMPLE = {
    "code": "ocr",
    "name": "Ocrelizumab",
    "drug": "ocrelizumab",
    "brand": "Ocrevus",
    "indication": "Relapsing and primary progressive MS",
    "first_dose_infusion_minutes": 150,
    "later_dose_infusion_minutes": 210,
    "initial_dose_count": 2,
    "premedication_minutes": 30,
    "observation_minutes": 60,
    "setup_minutes": 10,
    "required_chair_kind": "",
    "required_features": ["pump"],
    "interval_days": 168,
    "interval_window_days": 14,
    "min_days_between_doses": None,
    "loading_intervals_days": [14],
    "notes": "",
    "is_active": True,
}


PROTOCOL = crud_schema(
    noun="protocol",
    plural="protocols",
    example={"id": 1, **_PROTOCOL_EXAMPLE, "first_dose_chair_minutes": 250, "later_dose_chair_minutes": 310},
    list_description=(
        "Drug protocols with their chair times. Filter by `is_active`, `required_chair_kind`, `code`; search by "
        "code, name, drug or brand."
    ),
    write_description=(
        "Center administrators only. Durations are whole minutes and never negative; infusion times are at "
        "least 1 minute."
    ),
    create_example=_PROTOCOL_EXAMPLE,
    patch_example={"is_active": False},
    delete_description="Center administrators only; refused (409) once it was booked (retire it instead).",
)


def _action_schema(name: str, description: str, *, request=None, examples=None, after: dict | None = None):
    return extend_schema(
        summary=name,
        description=description + " " + _IDEMPOTENCY_NOTE,
        request=request,
        parameters=[_IDEMPOTENCY_PARAM],
        responses={
            200: AppointmentSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input, naming the field."),
            403: OpenApiResponse(
                ErrorSerializer,
                description="Your role may not take this step (code `not_permitted`; e.g. only nurses seat, start "
                "and discharge), or you lack the permission to change appointments.",
            ),
            404: OpenApiResponse(ErrorSerializer, description="No such appointment among your centers."),
            409: OpenApiResponse(
                RefusedSerializer,
                description="The state machine refused the change (code `invalid_transition`, `noshow_too_early`, "
                "…) or, for reschedule, the new slot (code and `reasons`).",
            ),
        },
        examples=[
            *(examples or []),
            OpenApiExample("Done", value={**_APPOINTMENT_EXAMPLE, **(after or {})}, response_only=True),
            _REFUSED_TRANSITION_EXAMPLE,
        ],
    )


_IDEMPOTENCY_PARAM = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False, description=IDEMPOTENCY_PARAMETER_DOC
)
_IDEMPOTENCY_NOTE = "Accepts an `Idempotency-Key` header."
_REFUSED_TRANSITION_EXAMPLE = OpenApiExample(
    "Not allowed now",
    value={"code": "invalid_transition", "detail": "Cannot discharge: the appointment is booked."},
    response_only=True,
    status_codes=["409"],
)

_BOOKING_EXAMPLE = {
    "patient": 42,
    "protocol": 1,
    "chair": 7,
    "start": "2026-12-07T09:00:00-05:00",
    "dose_number": 3,
    "notes": "",
}
_REFUSED_EXAMPLE = {
    "code": "nurse_start_full",
    "detail": "The nurses on shift have no infusion start left in that start window.",
    "reasons": [
        {"code": "nurse_start_full", "message": "The nurses on shift have no infusion start left in that start window."}
    ],
}
_APPOINTMENT_EXAMPLE = {
    "id": 101,
    "center": 1,
    "patient": 42,
    "patient_name": "Maria Lopez",
    "protocol": 1,
    "protocol_code": "ocr",
    "chair": 7,
    "chair_label": "C07",
    "start": "2026-12-07T09:00:00-05:00",
    "end": "2026-12-07T14:10:00-05:00",
    "chair_minutes": 310,
    "dose_number": 3,
    "status": "booked",
    "chair_stage": "",
    "allowed_actions": ["check-in", "no-show", "cancel", "reschedule"],
    "notes": "",
}


APPOINTMENT = dict(
    list=extend_schema(
        summary="List appointments",
        description=(
            "Appointments of your centers. Filters: `center`, `chair`, `patient`, `protocol`, `status` (repeatable), "
            "`chair_stage`, `active`, `date` or `date_from`/`date_to` (local days of each center, inclusive) and "
            "`start_after`/`start_before` (ISO 8601 with offset). Order by `start`, `end`, `status`, `chair`."
        ),
        examples=[OpenApiExample("An appointment", value=_APPOINTMENT_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="One appointment",
        description="404 for another center's appointment.",
        examples=[
            OpenApiExample("An appointment", value=_APPOINTMENT_EXAMPLE, response_only=True),
            ERROR_EXAMPLES["404"],
        ],
    ),
    update=extend_schema(
        summary="Change an appointment's notes",
        description="Only `notes` can be written here; move with `reschedule`, change status with the actions.",
        examples=[
            OpenApiExample("Notes", value={"notes": "Prefers the window seat."}, request_only=True),
            OpenApiExample("Changed", value=_APPOINTMENT_EXAMPLE, response_only=True),
        ],
    ),
    partial_update=extend_schema(
        summary="Change an appointment's notes",
        description="Only `notes` can be written here; move with `reschedule`, change status with the actions.",
        examples=[
            OpenApiExample("Notes", value={"notes": "Prefers the window seat."}, request_only=True),
            OpenApiExample("Changed", value=_APPOINTMENT_EXAMPLE, response_only=True),
        ],
    ),
)


CREATE = extend_schema(
    summary="Book an appointment",
    description=(
        "Books the patient on the chair at `start`; the server derives `end` from the protocol's chair time for "
        "`dose_number`. Every constraint is re-checked under the lock on the center's day: a refusal is a 409 whose "
        "`code` and `reasons` say what refused it (`chair_taken`, `chair_blocked`, `nurse_start_full`, "
        "`nurse_watch_full`, `no_nurse_on_shift`, `outside_hours`, `closed`, `off_grid`, `chair_lacks_features`, "
        "`patient_busy`, and the dose's readiness: no valid order, denied or used-up authorization, a "
        "prerequisite that can no longer be done). A center admin may book a dose that cannot be ready by "
        "giving `readiness_override_reason`. The 201 body lists `readiness_warnings`: what must still be done "
        "before the date. " + _IDEMPOTENCY_NOTE
    ),
    request=BookingSerializer,
    parameters=[_IDEMPOTENCY_PARAM],
    responses={
        201: AppointmentSerializer,
        400: OpenApiResponse(
            OpenApiTypes.OBJECT, description="Invalid input, naming the field (e.g. a start without offset)."
        ),
        404: OpenApiResponse(ErrorSerializer, description="The patient, protocol or chair is not among yours."),
        409: OpenApiResponse(RefusedSerializer, description="Refused, with the reasons."),
        422: OpenApiResponse(ErrorSerializer, description="The Idempotency-Key was used for a different request."),
    },
    examples=[
        OpenApiExample("Booking", value=_BOOKING_EXAMPLE, request_only=True),
        OpenApiExample("Booked", value=_APPOINTMENT_EXAMPLE, response_only=True, status_codes=["201"]),
        OpenApiExample("Refused", value=_REFUSED_EXAMPLE, response_only=True, status_codes=["409"]),
    ],
)


CHECK_IN = _action_schema(
    "Check in",
    "The patient arrived (booked → arrived).",
    after={"status": "arrived", "allowed_actions": ["seat", "cancel"]},
)


SEAT = _action_schema(
    "Seat",
    "The patient sits in the chair (arrived → checked-in, in chair). Optionally on another `chair`, which the "
    "planner re-checks for the booked time (409 with reasons if it does not fit). A dose with open readiness items "
    "is refused (409 `not_ready` or `acknowledgement_required`, the items as `reasons`) unless `readiness_reason` "
    "acknowledges (a nurse) or overrides (a center admin) them.",
    request=SeatSerializer,
    examples=[OpenApiExample("Another chair", value={"chair": 8}, request_only=True)],
    after={"status": "checked-in", "chair_stage": "in_chair", "chair": 8, "allowed_actions": ["start-infusion"]},
)


START_INFUSION = _action_schema(
    "Start infusion",
    "The infusion runs (in chair → infusing). Refused (409 `not_ready` / `acknowledgement_required`, the open "
    "readiness items as `reasons`) unless the dose is ready or `readiness_reason` acknowledges (a nurse) or "
    "overrides (a center admin) what is open.",
    request=ChairStepSerializer,
    after={"status": "checked-in", "chair_stage": "infusing", "allowed_actions": ["start-observation", "complete"]},
)


START_OBSERVATION = _action_schema(
    "Start observation",
    "The infusion ended; the patient is watched (infusing → observation).",
    after={"status": "checked-in", "chair_stage": "observation", "allowed_actions": ["complete"]},
)


COMPLETE = _action_schema(
    "Complete",
    "The patient is discharged (infusing or observation → fulfilled). Before the protocol's infusion and "
    "observation time is over, send the `reason` to discharge early (409 `early_discharge` without one). "
    "Without post-observation vital signs (409 `vitals_post_missing`), send `vitals_waiver`: why they could "
    "not be taken.",
    after={"status": "fulfilled", "allowed_actions": []},
)


NO_SHOW = _action_schema(
    "Mark no-show",
    "The patient did not come (booked → noshow); allowed only after the center's grace period past the start.",
    after={"status": "noshow", "allowed_actions": []},
)


CANCEL = _action_schema(
    "Cancel",
    "Cancels the appointment and frees the chair; say who cancelled (`patient` or `center`) and why.",
    request=CancelSerializer,
    examples=[
        OpenApiExample(
            "Patient cancelled", value={"cancelled_by": "patient", "reason": "Has a cold"}, request_only=True
        )
    ],
    after={"status": "cancelled", "cancelled_by": "patient", "cancel_reason": "Has a cold", "allowed_actions": []},
)


RESCHEDULE = _action_schema(
    "Reschedule",
    "Moves a booked appointment to another chair and/or start; the old time is released only if the new one "
    "is booked. A refusal is a 409 with the reasons, as for booking.",
    request=RescheduleSerializer,
    examples=[
        OpenApiExample("Move", value={"chair": 8, "start": "2026-12-08T10:30:00-05:00"}, request_only=True),
        OpenApiExample("Slot refused", value=_REFUSED_EXAMPLE, response_only=True, status_codes=["409"]),
    ],
    after={"chair": 8, "start": "2026-12-08T10:30:00-05:00", "end": "2026-12-08T15:40:00-05:00"},
)


REMINDERS = extend_schema(
    summary="Reminders of an appointment",
    description=(
        "The SMS and email reminders planned or sent for the appointment (status, due time after quiet hours, "
        "provider status, errors) and the patient's text replies about it (confirm, cancel, STOP…). "
        "Times are in the center's time zone."
    ),
    request=None,
    responses={
        200: AppointmentRemindersSerializer,
        404: OpenApiResponse(ErrorSerializer, description="No such appointment among your centers."),
    },
    examples=[
        OpenApiExample(
            "Reminders",
            value={
                "appointment": 101,
                "reminders": [
                    {
                        "id": 9,
                        "kind": "24h",
                        "offset_hours": 24,
                        "channel": "sms",
                        "status": "sent",
                        "due_at": "2026-12-06T09:00:00-05:00",
                        "planned_for": "2026-12-07T09:00:00-05:00",
                        "attempts": 1,
                        "queued_at": "2026-12-06T09:00:02-05:00",
                        "sent_at": "2026-12-06T09:00:03-05:00",
                        "recipient": "+16175550142",
                        "provider_status": "delivered",
                        "last_error": "",
                        "note": "",
                        "followed_up_at": None,
                    }
                ],
                "replies": [
                    {
                        "id": 3,
                        "from_number": "+16175550142",
                        "body": "C",
                        "action": "confirm",
                        "outcome": "Confirmed",
                        "received_at": "2026-12-06T09:14:00-05:00",
                    }
                ],
            },
            response_only=True,
        )
    ],
)


_AVAILABILITY_PARAMS = [
    OpenApiParameter("center", int, required=True, description="A center you work at."),
    OpenApiParameter("protocol", int, required=True, description="The protocol to infuse."),
    OpenApiParameter("dose_number", int, description="Which dose (1 = first); sets the chair time. Default 1."),
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First local day (default today)."),
    OpenApiParameter(
        "date_to",
        OpenApiTypes.DATE,
        description=f"Last local day, inclusive, not before date_from and at most {MAX_RANGE_DAYS} days after it.",
    ),
    OpenApiParameter("limit", int, description=f"How many candidates, 1–{planner.MAX_LIMIT} (default 10)."),
    OpenApiParameter("patient", int, description="Leave out times this patient is already booked."),
    OpenApiParameter("time_of_day", str, enum=["any", "morning", "afternoon"], description="Preferred time of day."),
    OpenApiParameter("weekdays", str, description="Preferred weekdays: `0,2,4` (Monday = 0) or `mon,wed,fri`."),
    OpenApiParameter("exclude_appointment", int, description="An appointment being moved (its time counts as free)."),
]


AVAILABILITY = extend_schema(
    summary="Find available slots",
    description=(
        "Runs the slot planner over the center's chairs, opening hours, blocks, bookings and nurse staffing "
        "and returns the best `limit` candidates, best first: preferred weekdays and time of day, then earlier days, "
        "then a lower `score` (how snugly the chair time fits and how loaded the nurses are), with a `reason`. `days` "
        "reports each day examined (the planner stops early once it has enough ideal candidates; when it finds "
        "none it examines every day of the range); a day without candidates lists every reason (closed, too_long_for_day, "
        "no_chair_with_features, chairs_full, nurse_watch_full, nurse_start_full, no_nurse_on_shift, …). Times "
        "already past are never offered."
    ),
    parameters=_AVAILABILITY_PARAMS,
    responses={
        200: AvailabilitySerializer,
        400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid query, naming the parameter."),
        404: OpenApiResponse(
            ErrorSerializer, description="The center, protocol, patient or appointment is not among yours."
        ),
    },
    examples=[
        OpenApiExample(
            "Candidates",
            value={
                "center": 1,
                "protocol": 1,
                "dose_number": 3,
                "chair_minutes": 310,
                "date_from": "2026-12-07",
                "date_to": "2026-12-08",
                "candidates": [
                    {
                        "chair": 7,
                        "chair_label": "C07",
                        "start": "2026-12-07T07:00:00-05:00",
                        "end": "2026-12-07T12:10:00-05:00",
                        "score": 0.92,
                        "reason": "Long infusion early in the day; chair free before and after.",
                    }
                ],
                "days": [
                    {"date": "2026-12-07", "candidate_count": 12, "reasons": []},
                    {
                        "date": "2026-12-08",
                        "candidate_count": 0,
                        "reasons": [{"code": "closed", "message": "The center is closed."}],
                    },
                ],
            },
            response_only=True,
        )
    ],
)
