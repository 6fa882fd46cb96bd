"""What the scheduling API reads and writes: serializers for protocols, appointments, their actions and
reminders, availability queries and answers, and the appointments' filter set.

Serializers parse and validate input and shape output; they call no service (``scheduling.api`` does).
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from chairs.models import Center, Chair, ChairFeature
from infusion_center.api_common import (
    BoundedDateField,
    ScopedPrimaryKeyRelatedField,
    StrictDateTimeField,
    StrictModelSerializer,
    in_user_centers,
    user_center_ids,
)
from patients.models import Patient
from reminders.models import InboundSms, Reminder
from scheduling import planner, services
from scheduling.models import Appointment, AppointmentStatus, CancelledBy, Protocol

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
            "loading_window_days",
            "cycle_doses",
            "cycle_gap_days",
            "observation_dose_count",
            "later_observation_minutes",
            "notes",
            "is_active",
        ]
        extra_kwargs = {
            "interval_days": {"min_value": 1, "max_value": 3650},
            "interval_window_days": {"max_value": 365},
            "min_days_between_doses": {"min_value": 1, "max_value": 3650},
            "loading_window_days": {"max_value": 365},
            "cycle_doses": {"min_value": 1, "max_value": 50},
            "cycle_gap_days": {"min_value": 1, "max_value": 3650},
            "observation_dose_count": {"min_value": 1, "max_value": 50},
            "later_observation_minutes": {"max_value": 480},
        }

    def get_first_dose_chair_minutes(self, protocol) -> int:
        return protocol.chair_minutes(1)

    def get_later_dose_chair_minutes(self, protocol) -> int:
        return protocol.chair_minutes(protocol.initial_dose_count + 1)

    def validate_required_features(self, value):
        return sorted(set(value))


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


# Fields by serializer class, built once from the model (see ``PrebuiltFields``).
_PREBUILT_FIELDS: dict[type, dict[str, Any]] = {}


class PrebuiltFields:
    """A model serializer whose fields are built from the model once per class, not per instance.

    DRF's ``ModelSerializer.get_fields`` introspects the model and builds every field again for each
    serializer instance: for an appointment that was half of writing the answer. The fields depend only
    on the class (its ``Meta`` and declared fields), so the first instance's are kept, unbound, and each
    instance gets its own copy to bind. A shallow copy: binding sets only the copy's own attributes
    (name, parent, label, source), and what the copies share (validators, choices, error messages) is
    only read. DRF's deep copy re-built every field from deep copies of its arguments, a tenth of a
    booking; a field with parts of its own (a list's child, a nested serializer) is still deep-copied.
    """

    def get_fields(self):
        prebuilt = _PREBUILT_FIELDS.get(type(self))
        if prebuilt is None:
            prebuilt = _PREBUILT_FIELDS[type(self)] = super().get_fields()  # type: ignore[misc]
        return {name: _copy_field(field) for name, field in prebuilt.items()}


def _copy_field(field: serializers.Field) -> serializers.Field:
    nested = (
        isinstance(field, serializers.BaseSerializer) or hasattr(field, "child") or hasattr(field, "child_relation")
    )
    return copy.deepcopy(field) if nested else copy.copy(field)


class AppointmentSerializer(PrebuiltFields, StrictModelSerializer):
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
            "chair_check_reason",
            "chair_check_items",
            "chair_check_by",
            "chair_check_at",
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
        request = self.context.get("request")
        machine = (
            services.allowed_actions(appointment, actor=request.user)
            if request is not None
            else services.allowed_actions(appointment)
        )
        allowed = [_MACHINE_TO_API[a] for a in machine if a in _MACHINE_TO_API]
        if appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.PENDING):
            allowed.append("reschedule")
        return allowed

    def get_readiness_warnings(self, appointment) -> list[dict[str, str]]:
        return [{"code": w.code, "message": w.message} for w in getattr(appointment, "readiness_warnings", [])]

    def local_timezone(self, instance):
        return instance.center.tzinfo


class CachedRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary-key field answered from a versioned cache (``lookup(pk, request)``, None when not
    visible) instead of a query; the same errors as DRF's field."""

    def __init__(self, *, lookup, **kwargs):
        self.lookup = lookup
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        try:
            pk = int(data)
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        found = self.lookup(pk, self.context.get("request")) if 0 < pk < 2**63 else None
        if found is None:
            self.fail("does_not_exist", pk_value=data)
        return found


def _protocol_by_pk(pk: int, request):
    from scheduling.selectors import protocol_by_pk

    return protocol_by_pk(pk)


def _center_of_user(pk: int, request):
    from scheduling.planner_input import fixed_input_for

    if request is None or pk not in user_center_ids(request.user):
        return None
    try:
        return fixed_input_for(pk).center
    except Center.DoesNotExist:
        return None


# A staff member works at a center or two: their chairs are looked up in the centers' cached fixed
# input. Beyond that (a superuser sees every center) one query is cheaper than reading every center's.
CACHED_CHAIR_LOOKUP_CENTERS = 4


def _chair_of_user(pk: int, request):
    from scheduling.planner_input import fixed_input_for

    if request is None or not request.user.is_authenticated:
        return None
    center_ids = user_center_ids(request.user)
    if len(center_ids) > CACHED_CHAIR_LOOKUP_CENTERS:
        return Chair.objects.select_related("center").filter(center_id__in=center_ids, pk=pk).first()
    for center_id in center_ids:
        try:
            chair = fixed_input_for(center_id).chair(pk)
        except Center.DoesNotExist:
            continue
        if chair is not None:
            return chair
    return None


def said_reason(help_text: str) -> serializers.CharField:
    """An optional reason in words (up to 255 characters; blank when none is given)."""
    return serializers.CharField(max_length=255, required=False, allow_blank=True, default="", help_text=help_text)


class BookingSerializer(serializers.Serializer):
    patient = ScopedPrimaryKeyRelatedField(scope=_patients_scope, queryset=Patient.objects.all())
    protocol = CachedRelatedField(lookup=_protocol_by_pk, queryset=Protocol.objects.all())
    chair = CachedRelatedField(lookup=_chair_of_user, queryset=Chair.objects.all())
    start = StrictDateTimeField(help_text="ISO 8601 with a UTC offset, on the center's time grid.")
    dose_number = serializers.IntegerField(min_value=1, max_value=MAX_DOSE_NUMBER, default=1)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    readiness_override_reason = said_reason(
        "Center admins only: why this dose is booked although it cannot be ready by its date "
        "(no valid order, denied authorization, a prerequisite that can no longer be done).",
    )


class ChairStepSerializer(serializers.Serializer):
    readiness_reason = said_reason(
        "When readiness items are open: a nurse's acknowledgement of the acknowledgeable ones "
        "(e.g. a pending authorization), or a center admin's override of a blocking one, with the reason.",
    )


class SeatSerializer(ChairStepSerializer):
    chair = ScopedPrimaryKeyRelatedField(
        scope=in_user_centers("center_id"),
        queryset=Chair.objects.all(),
        required=False,
        help_text="Seat the patient on another chair than booked (re-checked by the planner for the booked time).",
    )


class CompleteSerializer(serializers.Serializer):
    reason = said_reason(
        "Why the patient leaves before the protocol's infusion and observation time is over.",
    )
    vitals_waiver = said_reason(
        "When no post-observation vital signs are recorded: why they could not be taken "
        "(the patient declined them, was transferred…). Kept with the discharge in the history.",
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
    center = CachedRelatedField(lookup=_center_of_user, queryset=Center.objects.all())
    protocol = CachedRelatedField(lookup=_protocol_by_pk, queryset=Protocol.objects.all())
    dose_number = serializers.IntegerField(min_value=1, max_value=MAX_DOSE_NUMBER, default=1)
    date_from = BoundedDateField(required=False, help_text="First local day; today when left out.")
    date_to = BoundedDateField(
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
