"""What the treatment-plan API reads and writes: orders, prior authorizations, prerequisite documents,
the protocols' prerequisite rules, a dose's readiness, series proposals and bookings, the work queue.

Serializers parse and validate input and shape output; they call no service (``treatment.api`` does).
The authorization serializer names only the model's current fields.
"""

from __future__ import annotations

from rest_framework import serializers

from chairs.models import Chair
from infusion_center.api_common import (
    BoundedDateField,
    ScopedPrimaryKeyRelatedField,
    StrictDateTimeField,
    StrictModelSerializer,
    in_user_centers,
)
from patients.models import Patient
from scheduling.api_serializers import MAX_DOSE_NUMBER, AppointmentSerializer
from treatment.models import Order, PrerequisiteDocument, PriorAuthorization, ProtocolPrerequisite

_patients_scope = in_user_centers("center_id")


class OrderSerializer(StrictModelSerializer):
    patient = ScopedPrimaryKeyRelatedField(scope=_patients_scope, queryset=Patient.objects.all())
    protocol_code = serializers.CharField(source="protocol.code", read_only=True)
    last_dose_number = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "patient",
            "protocol",
            "protocol_code",
            "ordering_provider",
            "dose_count",
            "first_dose_number",
            "last_dose_number",
            "start_date",
            "valid_until",
            "is_active",
            "notes",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_by", "created_at", "updated_at"]
        extra_kwargs = {
            "dose_count": {"min_value": 1, "max_value": MAX_DOSE_NUMBER},
            "first_dose_number": {"min_value": 1, "max_value": MAX_DOSE_NUMBER},
        }

    def validate_start_date(self, value):
        return _bounded(value)

    def validate_valid_until(self, value):
        return _bounded(value) if value else value

    def local_timezone(self, instance):
        return instance.patient.center.tzinfo


def _bounded(value):
    return BoundedDateField().to_internal_value(value.isoformat())


class AuthorizationSerializer(StrictModelSerializer):
    order = ScopedPrimaryKeyRelatedField(scope=in_user_centers("patient__center_id"), queryset=Order.objects.all())
    patient: serializers.PrimaryKeyRelatedField = serializers.PrimaryKeyRelatedField(
        read_only=True, help_text="The order's patient."
    )

    class Meta:
        model = PriorAuthorization
        fields = [
            "id",
            "order",
            "patient",
            "payer",
            "reference_number",
            "status",
            "approved_from",
            "approved_until",
            "approved_visits",
            "notes",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["patient", "created_by", "created_at", "updated_at"]
        extra_kwargs = {"approved_visits": {"max_value": 1000}}

    def validate(self, attrs):
        for name in ("approved_from", "approved_until"):
            if attrs.get(name):
                _bounded(attrs[name])
        order = attrs.get("order") or (self.instance.order if self.instance else None)
        if order is not None:
            attrs["patient"] = order.patient
        return super().validate(attrs)

    def local_timezone(self, instance):
        return instance.patient.center.tzinfo


class PrerequisiteDocumentSerializer(StrictModelSerializer):
    patient = ScopedPrimaryKeyRelatedField(scope=_patients_scope, queryset=Patient.objects.all())

    class Meta:
        model = PrerequisiteDocument
        fields = [
            "id",
            "patient",
            "kind",
            "performed_on",
            "result",
            "notes",
            "recorded_by",
            "recorded_at",
            "updated_at",
        ]
        read_only_fields = ["recorded_by", "recorded_at", "updated_at"]

    def validate_performed_on(self, value):
        return _bounded(value)

    def local_timezone(self, instance):
        return instance.patient.center.tzinfo


class ProtocolPrerequisiteSerializer(StrictModelSerializer):
    dose_numbers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_DOSE_NUMBER),
        max_length=50,
        required=False,
        help_text="For listed doses: the dose numbers, e.g. [3, 5, 7, 14].",
    )
    description = serializers.CharField(source="describe", read_only=True)

    class Meta:
        model = ProtocolPrerequisite
        fields = [
            "id",
            "protocol",
            "kind",
            "applies_to",
            "dose_numbers",
            "window_days",
            "min_days_before",
            "after_previous_dose",
            "is_acknowledgeable",
            "description",
            "notes",
            "is_active",
        ]
        extra_kwargs = {"window_days": {"max_value": 3650}, "min_days_before": {"max_value": 3650}}

    def validate_dose_numbers(self, value):
        return sorted(set(value))


# --- Readiness -------------------------------------------------------------------------------------


class ReadinessItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    can_complete_before_date = serializers.BooleanField(
        help_text="False: it can no longer be done in time (booking refuses it)."
    )
    document_kind = serializers.CharField(allow_blank=True, help_text="For a missing check: the document it needs.")
    is_acknowledgeable = serializers.BooleanField(help_text="A nurse may go ahead at the chair with a reason.")


class ReadinessSerializer(serializers.Serializer):
    appointment = serializers.IntegerField()
    ready = serializers.BooleanField()
    missing = ReadinessItemSerializer(many=True)
    on_the_day = ReadinessItemSerializer(many=True, help_text="Day-of checks of a dose on a later day.")
    override_reason = serializers.CharField(allow_blank=True)


# --- Series ----------------------------------------------------------------------------------------


class SeriesProposeSerializer(serializers.Serializer):
    reflow = serializers.BooleanField(
        default=False, help_text="Re-plan from the last dose given: future booked doses are replaced."
    )
    first_day = BoundedDateField(required=False, help_text="For a first dose: the first local day to search from.")
    time_of_day = serializers.ChoiceField(choices=["any", "morning", "afternoon"], default="any")


class SeriesDoseInputSerializer(serializers.Serializer):
    dose_number = serializers.IntegerField(min_value=1, max_value=MAX_DOSE_NUMBER)
    chair = ScopedPrimaryKeyRelatedField(scope=in_user_centers("center_id"), queryset=Chair.objects.all())
    start = StrictDateTimeField()


class SeriesBookSerializer(SeriesProposeSerializer):
    doses = SeriesDoseInputSerializer(  # type: ignore[call-arg]  # many=True takes a ListSerializer's max_length
        many=True,
        required=False,
        max_length=60,
        help_text="The doses to book (e.g. a proposal, adjusted). Left out: the server's proposal is booked as it "
        "stands, or refused with 409 when a dose could not be placed.",
    )
    replaces = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**62),
        required=False,
        max_length=60,
        help_text="Future booked doses a re-flow cancels first (ids from the proposal's `replaces`).",
    )
    override_reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")

    def validate_doses(self, value):
        numbers = [d["dose_number"] for d in value]
        if len(numbers) != len(set(numbers)):
            raise serializers.ValidationError("Each dose number may appear once.")
        return sorted(value, key=lambda d: d["dose_number"])


class ProposedDoseSerializer(serializers.Serializer):
    dose_number = serializers.IntegerField()
    due = serializers.DateField()
    earliest = serializers.DateField()
    latest = serializers.DateField()
    chair = serializers.IntegerField(source="chair_id", allow_null=True)
    chair_label = serializers.CharField(allow_blank=True)
    start = serializers.DateTimeField(allow_null=True)
    end = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    problems = serializers.ListField(child=serializers.CharField())
    is_placed = serializers.BooleanField()
    readiness = serializers.SerializerMethodField()

    def get_readiness(self, dose) -> list[dict]:
        readiness = dose.readiness
        if readiness is None:
            return []
        return list(ReadinessItemSerializer(readiness.missing, many=True).data)


class SeriesProposalSerializer(serializers.Serializer):
    order = serializers.IntegerField(source="order.pk")
    is_reflow = serializers.BooleanField()
    is_bookable = serializers.BooleanField()
    doses = ProposedDoseSerializer(many=True)
    replaces = serializers.SerializerMethodField(help_text="Booked doses a re-flow would cancel.")
    notes = serializers.ListField(child=serializers.CharField())

    def get_replaces(self, proposal) -> list[int]:
        return [a.pk for a in proposal.replaces]


class SeriesBookedSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    cancelled = serializers.ListField(child=serializers.IntegerField(), help_text="Doses a re-flow cancelled.")
    appointments = AppointmentSerializer(many=True, help_text="The booked doses, with their readiness warnings.")


# --- Work queue ------------------------------------------------------------------------------------


class WorkQueueQuerySerializer(serializers.Serializer):
    center = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    date = BoundedDateField(required=False, help_text="Only doses on this local day.")
    kind = serializers.ChoiceField(choices=["order", "authorization", "check"], required=False)
    protocol = serializers.IntegerField(required=False, min_value=1, max_value=2**62)


class WorkQueueEntrySerializer(serializers.Serializer):
    appointment = serializers.IntegerField(source="appointment.pk")
    patient = serializers.IntegerField(source="appointment.patient_id")
    patient_name = serializers.CharField(source="appointment.patient.full_name")
    protocol = serializers.IntegerField(source="appointment.protocol_id")
    protocol_code = serializers.CharField(source="appointment.protocol.code")
    chair = serializers.IntegerField(source="appointment.chair_id")
    start = serializers.DateTimeField(source="appointment.start")
    dose_number = serializers.IntegerField(source="appointment.dose_number")
    kinds = serializers.SerializerMethodField(help_text="What is missing: order, authorization, check.")
    missing = ReadinessItemSerializer(source="readiness.missing", many=True)

    def get_kinds(self, entry) -> list[str]:
        from treatment.selectors import entry_kinds

        return sorted(entry_kinds(entry))


__all__ = [
    "AuthorizationSerializer",
    "OrderSerializer",
    "PrerequisiteDocumentSerializer",
    "ProtocolPrerequisiteSerializer",
    "ReadinessSerializer",
    "SeriesBookSerializer",
    "SeriesProposalSerializer",
    "SeriesProposeSerializer",
    "WorkQueueEntrySerializer",
    "WorkQueueQuerySerializer",
]
