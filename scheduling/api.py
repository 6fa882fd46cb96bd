"""REST API for protocols, availability (the slot planner) and appointments with their state machine.

Booking, moving and every status change go through ``scheduling.services`` — the same code the pages
use — so the lock on the center's day, the planner's re-check and the exclusion constraint protect API clients too.
Refusals come back as 409 with the reasons (see ``infusion_center.api_common.exception_handler``).
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from chairs.models import Center, Chair, ChairFeature
from infusion_center.api_common import (
    ERROR_EXAMPLES,
    IDEMPOTENCY_HEADER,
    IDEMPOTENCY_PARAMETER_DOC,
    ErrorSerializer,
    ModelPermissions,
    Pagination,
    RefusedSerializer,
    ScopedPrimaryKeyRelatedField,
    StrictDateTimeField,
    StrictModelSerializer,
    crud_schema,
    idempotent,
    in_user_centers,
    parse_aware,
    user_center_ids,
)
from patients.models import Patient
from reminders.models import InboundSms, Reminder
from reminders.selectors import appointment_reminders
from scheduling import planner, services
from scheduling.errors import BookingRefused
from scheduling.models import Appointment, AppointmentStatus, CancelledBy, Protocol
from scheduling.planner_input import planner_input_for, slot_request_for

MAX_RANGE_DAYS = 90
MAX_DOSE_NUMBER = 100

# --- Protocols -----------------------------------------------------------------------------------


class ProtocolSerializer(StrictModelSerializer):
    required_features = serializers.ListField(
        child=serializers.ChoiceField(choices=ChairFeature.choices),
        max_length=len(ChairFeature.choices),
        required=False,
        help_text="Chair features the protocol needs: " + ", ".join(ChairFeature.values) + ".",
    )
    loading_intervals_days = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=3650),
        max_length=20,
        required=False,
        help_text="Days between the first doses of a loading phase, e.g. [7, 7, 7, 7].",
    )
    first_dose_chair_minutes = serializers.SerializerMethodField()
    later_dose_chair_minutes = serializers.SerializerMethodField()

    class Meta:
        model = Protocol
        fields = [
            "id",
            "code",
            "name",
            "drug",
            "brand",
            "indication",
            "first_dose_infusion_minutes",
            "later_dose_infusion_minutes",
            "initial_dose_count",
            "premedication_minutes",
            "observation_minutes",
            "setup_minutes",
            "first_dose_chair_minutes",
            "later_dose_chair_minutes",
            "required_chair_kind",
            "required_features",
            "interval_days",
            "interval_window_days",
            "min_days_between_doses",
            "loading_intervals_days",
            "notes",
            "is_active",
        ]
        extra_kwargs = {
            "interval_days": {"min_value": 1, "max_value": 3650},
            "interval_window_days": {"max_value": 365},
            "min_days_between_doses": {"min_value": 1, "max_value": 3650},
        }

    def get_first_dose_chair_minutes(self, protocol) -> int:
        return protocol.chair_minutes(1)

    def get_later_dose_chair_minutes(self, protocol) -> int:
        return protocol.chair_minutes(protocol.initial_dose_count + 1)

    def validate_required_features(self, value):
        return sorted(set(value))


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


@extend_schema_view(
    **crud_schema(
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
)
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

# URL action -> state machine action
API_ACTIONS = {
    "check-in": "check_in",
    "seat": "seat",
    "start-infusion": "start_infusion",
    "start-observation": "start_observation",
    "complete": "complete",
    "no-show": "no_show",
    "cancel": "cancel",
}
_MACHINE_TO_API = {machine: api for api, machine in API_ACTIONS.items()}


def _patients_scope(user, queryset):
    return queryset.filter(center_id__in=user_center_ids(user))


class AppointmentSerializer(StrictModelSerializer):
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    protocol_code = serializers.CharField(source="protocol.code", read_only=True)
    chair_label = serializers.CharField(source="chair.label", read_only=True)
    chair_minutes = serializers.IntegerField(read_only=True)
    allowed_actions = serializers.SerializerMethodField(
        help_text="Actions the state machine allows now, as URL names (e.g. check-in, cancel, reschedule)."
    )

    readiness_warnings = serializers.SerializerMethodField(
        help_text="On booking: what must still be done before the dose date (e.g. an MRI due)."
    )

    class Meta:
        model = Appointment
        fields = [
            "id",
            "center",
            "patient",
            "patient_name",
            "protocol",
            "protocol_code",
            "chair",
            "chair_label",
            "start",
            "end",
            "chair_minutes",
            "dose_number",
            "status",
            "chair_stage",
            "allowed_actions",
            "readiness_warnings",
            "notes",
            "booked_by",
            "readiness_override_reason",
            "cancelled_by",
            "cancel_reason",
            "cancelled_at",
            "confirmed_at",
            "arrived_at",
            "chair_start_at",
            "infusion_start_at",
            "observation_start_at",
            "discharged_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [f for f in fields if f != "notes"]

    def get_allowed_actions(self, appointment) -> list[str]:
        allowed = [_MACHINE_TO_API[a] for a in services.allowed_actions(appointment) if a in _MACHINE_TO_API]
        if appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.PENDING):
            allowed.append("reschedule")
        return allowed

    def get_readiness_warnings(self, appointment) -> list[dict[str, str]]:
        return [{"code": w.code, "message": w.message} for w in getattr(appointment, "readiness_warnings", [])]

    def local_timezone(self, instance):
        return instance.center.tzinfo


class BookingSerializer(serializers.Serializer):
    patient = ScopedPrimaryKeyRelatedField(scope=_patients_scope, queryset=Patient.objects.all())
    protocol = serializers.PrimaryKeyRelatedField(queryset=Protocol.objects.all())
    chair = ScopedPrimaryKeyRelatedField(scope=in_user_centers("center_id"), queryset=Chair.objects.all())
    start = StrictDateTimeField(help_text="ISO 8601 with a UTC offset, on the center's time grid.")
    dose_number = serializers.IntegerField(min_value=1, max_value=MAX_DOSE_NUMBER, default=1)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    readiness_override_reason = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        default="",
        help_text="Center admins only: why this dose is booked although it cannot be ready by its date "
        "(no valid order, denied authorization, a prerequisite that can no longer be done).",
    )


class SeatSerializer(serializers.Serializer):
    chair = ScopedPrimaryKeyRelatedField(
        scope=in_user_centers("center_id"),
        queryset=Chair.objects.all(),
        required=False,
        help_text="Seat the patient on another chair than booked (re-checked by the planner for the booked time).",
    )


class CancelSerializer(serializers.Serializer):
    cancelled_by = serializers.ChoiceField(choices=CancelledBy.choices, help_text="Who cancelled: patient or center.")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class RescheduleSerializer(serializers.Serializer):
    chair = ScopedPrimaryKeyRelatedField(
        scope=in_user_centers("center_id"),
        queryset=Chair.objects.all(),
        required=False,
        help_text="The new chair; the current one when left out.",
    )
    start = StrictDateTimeField(help_text="The new start, ISO 8601 with a UTC offset.")


# --- Reminders of an appointment --------------------------------------------------------------------


class ReminderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reminder
        fields = [
            "id",
            "kind",
            "offset_hours",
            "channel",
            "status",
            "due_at",
            "planned_for",
            "attempts",
            "queued_at",
            "sent_at",
            "recipient",
            "provider_status",
            "last_error",
            "note",
            "followed_up_at",
        ]


class ReplySerializer(serializers.ModelSerializer):
    class Meta:
        model = InboundSms
        fields = ["id", "from_number", "body", "action", "outcome", "received_at"]


class AppointmentRemindersSerializer(serializers.Serializer):
    appointment = serializers.IntegerField()
    reminders = ReminderSerializer(many=True)
    replies = ReplySerializer(many=True)


class AppointmentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=AppointmentStatus.choices, help_text="One or more statuses (repeat the parameter)."
    )
    date = django_filters.DateFilter(method="filter_dates", help_text="One local day (YYYY-MM-DD).")
    date_from = django_filters.DateFilter(method="filter_dates", help_text="First local day (YYYY-MM-DD).")
    date_to = django_filters.DateFilter(method="filter_dates", help_text="Last local day (YYYY-MM-DD), inclusive.")
    start_after = django_filters.CharFilter(
        method="filter_start_after", help_text="Starting at or after this ISO 8601 datetime (with offset)."
    )
    start_before = django_filters.CharFilter(
        method="filter_start_before", help_text="Starting before this ISO 8601 datetime (with offset)."
    )
    active = django_filters.BooleanFilter(method="filter_active", help_text="Only appointments holding their chair.")

    class Meta:
        model = Appointment
        fields = ["center", "chair", "patient", "protocol", "status", "chair_stage", "dose_number"]

    def filter_dates(self, queryset, name, value):
        return queryset  # applied together in filter_queryset, in each center's own time zone

    def filter_start_after(self, queryset, name, value):
        return queryset.filter(start__gte=parse_aware(value, field=name))

    def filter_start_before(self, queryset, name, value):
        return queryset.filter(start__lt=parse_aware(value, field=name))

    def filter_active(self, queryset, name, value):
        return (
            queryset.filter(status__in=Appointment.BLOCKING_STATUSES)
            if value
            else queryset.exclude(status__in=Appointment.BLOCKING_STATUSES)
        )

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        day = self.form.cleaned_data.get("date")
        date_from = self.form.cleaned_data.get("date_from") or day
        date_to = self.form.cleaned_data.get("date_to") or day
        if date_from and date_to and date_to < date_from:
            raise serializers.ValidationError({"date_to": ["date_to must not be before date_from."]})
        if not (date_from or date_to):
            return queryset
        condition = Q()
        for center in Center.objects.filter(pk__in=user_center_ids(self.request.user)).only("pk", "timezone"):
            local = Q(center_id=center.pk)
            if date_from:
                local &= Q(start__gte=dt.datetime.combine(date_from, dt.time(), tzinfo=center.tzinfo))
            if date_to:
                day_after = date_to + dt.timedelta(days=1)
                local &= Q(start__lt=dt.datetime.combine(day_after, dt.time(), tzinfo=center.tzinfo))
            condition |= local
        return queryset.filter(condition) if condition else queryset.none()


def _action_schema(name: str, description: str, *, request=None, examples=None, after: dict | None = None):
    return extend_schema(
        summary=name,
        description=description + " " + _IDEMPOTENCY_NOTE,
        request=request,
        parameters=[_IDEMPOTENCY_PARAM],
        responses={
            200: AppointmentSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input, naming the field."),
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


@extend_schema_view(
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
        appointment.readiness_warnings = warnings
        return Response(AppointmentSerializer(appointment, context=self.get_serializer_context()).data, status=code)

    @extend_schema(
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
    @idempotent
    def create(self, request):
        serializer = BookingSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        self._refuse_early(data)
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
        return self._answer(appointment, status.HTTP_201_CREATED)

    @staticmethod
    def _refuse_early(data: dict) -> None:
        """Refuse a slot that is already taken or full without queueing for the lock on the center's day.

        Bookings of one center wait for each other (the planner re-checks under the lock); a request whose
        slot is refused on the committed data now would be refused under the lock too, so it need not wait.
        A slot that looks free here is still re-checked under the lock by ``book_appointment``.
        """
        chair, patient, protocol = data["chair"], data["patient"], data["protocol"]
        if patient.center_id != chair.center_id or not protocol.is_active:
            return  # book_appointment says why, in its own words
        services.refuse_past(data["start"], allowed=False)
        reasons = services.placement_refusals(
            center=chair.center,
            chair=chair,
            protocol=protocol,
            dose_number=data["dose_number"],
            start=data["start"],
            patient=patient,
        )
        if reasons:
            raise BookingRefused(reasons)

    def _transition(self, request, machine_action: str, **extra) -> Response:
        appointment = self.get_object()
        appointment = services.transition(actor=request.user, appointment=appointment, action=machine_action, **extra)
        return self._answer(appointment)

    @_action_schema(
        "Check in",
        "The patient arrived (booked → arrived).",
        after={"status": "arrived", "allowed_actions": ["seat", "cancel"]},
    )
    @action(detail=True, methods=["post"], url_path="check-in", serializer_class=serializers.Serializer)
    @idempotent
    def check_in(self, request, pk=None):
        return self._transition(request, "check_in")

    @_action_schema(
        "Seat",
        "The patient sits in the chair (arrived → checked-in, in chair). Optionally on another `chair`, which the "
        "planner re-checks for the booked time (409 with reasons if it does not fit).",
        request=SeatSerializer,
        examples=[OpenApiExample("Another chair", value={"chair": 8}, request_only=True)],
        after={"status": "checked-in", "chair_stage": "in_chair", "chair": 8, "allowed_actions": ["start-infusion"]},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def seat(self, request, pk=None):
        appointment = self.get_object()
        serializer = SeatSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        chair = serializer.validated_data.get("chair")
        appointment = services.transition(actor=request.user, appointment=appointment, action="seat", chair=chair)
        return self._answer(appointment)

    @_action_schema(
        "Start infusion",
        "The infusion runs (in chair → infusing).",
        after={"status": "checked-in", "chair_stage": "infusing", "allowed_actions": ["start-observation", "complete"]},
    )
    @action(detail=True, methods=["post"], url_path="start-infusion", serializer_class=serializers.Serializer)
    @idempotent
    def start_infusion(self, request, pk=None):
        return self._transition(request, "start_infusion")

    @_action_schema(
        "Start observation",
        "The infusion ended; the patient is watched (infusing → observation).",
        after={"status": "checked-in", "chair_stage": "observation", "allowed_actions": ["complete"]},
    )
    @action(detail=True, methods=["post"], url_path="start-observation", serializer_class=serializers.Serializer)
    @idempotent
    def start_observation(self, request, pk=None):
        return self._transition(request, "start_observation")

    @_action_schema(
        "Complete",
        "The patient is discharged (infusing or observation → fulfilled). Before the protocol's infusion and "
        "observation time is over, send the `reason` to discharge early (409 `early_discharge` without one).",
        after={"status": "fulfilled", "allowed_actions": []},
    )
    @action(detail=True, methods=["post"], serializer_class=serializers.Serializer)
    @idempotent
    def complete(self, request, pk=None):
        return self._transition(request, "complete", reason=str(request.data.get("reason", ""))[:255])

    @_action_schema(
        "Mark no-show",
        "The patient did not come (booked → noshow); allowed only after the center's grace period past the start.",
        after={"status": "noshow", "allowed_actions": []},
    )
    @action(detail=True, methods=["post"], url_path="no-show", serializer_class=serializers.Serializer)
    @idempotent
    def no_show(self, request, pk=None):
        return self._transition(request, "no_show")

    @_action_schema(
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

    @_action_schema(
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

    @extend_schema(
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
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def reminders(self, request, pk=None):
        appointment = self.get_object()
        history = appointment_reminders(appointment)
        body = {"appointment": appointment.pk, "reminders": history["reminders"], "replies": history["replies"]}
        with timezone.override(appointment.center.tzinfo):
            data = AppointmentRemindersSerializer(body).data
        return Response(data)


# --- Availability --------------------------------------------------------------------------------

WEEKDAY_NAMES = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


class WeekdaysField(serializers.CharField):
    """Comma-separated weekdays: numbers 0–6 (Monday = 0) or names (mon, tue, …)."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        days = set()
        for part in text.replace(" ", "").lower().split(","):
            if not part:
                continue
            if part.isdigit() and len(part) == 1 and int(part) <= 6:
                days.add(int(part))
            elif part[:3] in WEEKDAY_NAMES and part in (part[:3], _full_day(part[:3])):
                days.add(WEEKDAY_NAMES[part[:3]])
            else:
                raise serializers.ValidationError(
                    f"“{part[:20]}” is not a weekday; use 0–6 (Monday = 0) or mon, tue, …, separated by commas."
                )
        return frozenset(days) or None


def _full_day(short: str) -> str:
    return {
        "mon": "monday",
        "tue": "tuesday",
        "wed": "wednesday",
        "thu": "thursday",
        "fri": "friday",
        "sat": "saturday",
        "sun": "sunday",
    }[short]


class AvailabilityQuerySerializer(serializers.Serializer):
    center = ScopedPrimaryKeyRelatedField(
        scope=lambda user, qs: qs.filter(pk__in=user_center_ids(user)), queryset=Center.objects.all()
    )
    protocol = serializers.PrimaryKeyRelatedField(queryset=Protocol.objects.all())
    dose_number = serializers.IntegerField(min_value=1, max_value=MAX_DOSE_NUMBER, default=1)
    date_from = serializers.DateField(required=False, help_text="First local day; today when left out.")
    date_to = serializers.DateField(
        required=False, help_text=f"Last local day, inclusive; at most {MAX_RANGE_DAYS} days after date_from."
    )
    limit = serializers.IntegerField(min_value=1, max_value=planner.MAX_LIMIT, default=10)
    patient = ScopedPrimaryKeyRelatedField(
        scope=_patients_scope,
        queryset=Patient.objects.all(),
        required=False,
        help_text="Leave out times the patient is already booked.",
    )
    time_of_day = serializers.ChoiceField(choices=["any", "morning", "afternoon"], default="any")
    weekdays = WeekdaysField(
        required=False, max_length=100, help_text="Preferred weekdays, e.g. `0,2,4` or `mon,wed,fri`."
    )
    exclude_appointment = ScopedPrimaryKeyRelatedField(
        scope=in_user_centers("center_id"),
        queryset=Appointment.objects.all(),
        required=False,
        help_text="An appointment being moved: its own chair time does not count as taken.",
    )

    def validate(self, attrs):
        center = attrs["center"]
        today = timezone.localdate(timezone=center.tzinfo)
        date_from = attrs.get("date_from") or today
        date_to = attrs.get("date_to") or date_from + dt.timedelta(days=13)
        if date_to < date_from:
            raise serializers.ValidationError({"date_to": ["date_to must not be before date_from."]})
        if (date_to - date_from).days > MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"date_to": [f"The range may span at most {MAX_RANGE_DAYS} days after date_from."]}
            )
        if date_from.year < 2000 or date_to.year > 2199:
            raise serializers.ValidationError({"date_from": ["Use dates between the years 2000 and 2199."]})
        patient = attrs.get("patient")
        if patient is not None and patient.center_id != center.pk:
            raise serializers.ValidationError({"patient": ["The patient is registered at another center."]})
        excluded = attrs.get("exclude_appointment")
        if excluded is not None and excluded.center_id != center.pk:
            raise serializers.ValidationError({"exclude_appointment": ["That appointment is at another center."]})
        attrs["date_from"], attrs["date_to"] = date_from, date_to
        return attrs


class RefusalSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class CandidateSerializer(serializers.Serializer):
    chair = serializers.IntegerField(source="chair_id")
    chair_label = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    score = serializers.FloatField()
    reason = serializers.CharField()


class DayReportSerializer(serializers.Serializer):
    date = serializers.DateField(source="day")
    candidate_count = serializers.IntegerField()
    reasons = RefusalSerializer(many=True)


class AvailabilitySerializer(serializers.Serializer):
    center = serializers.IntegerField()
    protocol = serializers.IntegerField()
    dose_number = serializers.IntegerField()
    chair_minutes = serializers.IntegerField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    candidates = CandidateSerializer(many=True)
    days = DayReportSerializer(many=True)


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


def _range_start(q: dict, center: Center) -> dt.datetime:
    return dt.datetime.combine(q["date_from"], dt.time(), tzinfo=center.tzinfo)


def _range_end(q: dict, center: Center) -> dt.datetime:
    return dt.datetime.combine(q["date_to"] + dt.timedelta(days=2), dt.time(), tzinfo=center.tzinfo)


class AvailabilityView(APIView):
    """Where and when the protocol fits: the slot planner's ranked candidates and the reasons per day."""

    permission_classes = [ModelPermissions]
    queryset = Appointment.objects.none()  # the permission asks for view_appointment

    @extend_schema(
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
    def get(self, request):
        query = AvailabilityQuerySerializer(data=request.query_params.dict(), context={"request": request})
        query.is_valid(raise_exception=True)
        q = query.validated_data
        center, protocol, dose = q["center"], q["protocol"], q["dose_number"]
        excluded = q.get("exclude_appointment")
        patient = q.get("patient")
        pin = planner_input_for(center=center, date_from=q["date_from"], date_to=q["date_to"])
        # Ask for more when the patient's own bookings may strike some candidates out.
        want = q["limit"]
        slot_request = slot_request_for(
            protocol=protocol,
            dose_number=dose,
            date_from=q["date_from"],
            date_to=q["date_to"],
            preferred_time_of_day=q["time_of_day"],
            preferred_weekdays=q.get("weekdays"),
            exclude_appointment_id=excluded.pk if excluded else None,
            limit=min(planner.MAX_LIMIT, want * 3) if patient else want,
            not_before=timezone.now(),
        )
        result = planner.find_slots(pin, slot_request)
        candidates = list(result.candidates)
        if patient is not None:
            busy = list(
                Appointment.objects.active()
                .filter(patient=patient, start__lt=_range_end(q, center), end__gt=_range_start(q, center))
                .exclude(pk=excluded.pk if excluded else None)
                .values_list("start", "end")
            )
            candidates = [c for c in candidates if not any(s < c.end and c.start < e for s, e in busy)]
        candidates = candidates[:want]
        body = {
            "center": center.pk,
            "protocol": protocol.pk,
            "dose_number": dose,
            "chair_minutes": protocol.chair_minutes(dose),
            "date_from": q["date_from"],
            "date_to": q["date_to"],
            "candidates": candidates,
            "days": list(result.days),
        }
        with timezone.override(center.tzinfo):
            data = AvailabilitySerializer(body).data
        return Response(data)


__all__ = ["AppointmentViewSet", "AvailabilityView", "ProtocolViewSet"]
