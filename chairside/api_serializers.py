"""Serializers of the chair-side API: what a nurse sends to document a dose, and what is read back."""

from __future__ import annotations

from rest_framework import serializers

from chairside.models import (
    DrugLot,
    InfusionReaction,
    PremedicationGiven,
    PremedicationOrder,
    PreparationStatus,
    RateGiven,
    ReactionSymptom,
    VitalSigns,
)
from infusion_center.api_common import BoundedDateField, StrictDateTimeField, StrictModelSerializer

_RECORDED = ["id", "appointment", "recorded_by"]


class _RecordSerializer(StrictModelSerializer):
    """A chair-side record of one appointment: the appointment comes from the URL, the author from the
    request (both read-only here)."""

    recorded_by = serializers.SerializerMethodField()

    def get_recorded_by(self, obj) -> str:
        user = getattr(obj, "recorded_by", None) or getattr(obj, "given_by", None)
        return user.get_username() if user else ""


class VitalSignsSerializer(_RecordSerializer):
    taken_at = StrictDateTimeField(required=False, help_text="Blank: now.")

    class Meta:
        model = VitalSigns
        fields = [
            *_RECORDED,
            "phase",
            "taken_at",
            "systolic",
            "diastolic",
            "pulse",
            "temperature_c",
            "respiratory_rate",
            "spo2",
        ]
        read_only_fields = ["id", "appointment"]


class InfusionReactionSerializer(_RecordSerializer):
    onset_at = StrictDateTimeField(required=False, help_text="Blank: now.")
    symptoms = serializers.ListField(child=serializers.ChoiceField(choices=ReactionSymptom.choices), max_length=11)

    class Meta:
        model = InfusionReaction
        fields = [
            *_RECORDED,
            "onset_at",
            "grade",
            "symptoms",
            "action",
            "treatment_given",
            "premedication_change",
            "notes",
        ]
        read_only_fields = ["id", "appointment"]


class DrugLotSerializer(_RecordSerializer):
    expires_on = BoundedDateField()

    class Meta:
        model = DrugLot
        fields = [*_RECORDED, "lot_number", "expires_on"]
        read_only_fields = ["id", "appointment"]


class RateGivenSerializer(_RecordSerializer):
    started_at = StrictDateTimeField(required=False, help_text="Blank: now.")

    class Meta:
        model = RateGiven
        fields = [*_RECORDED, "started_at", "rate_ml_per_h"]
        read_only_fields = ["id", "appointment"]


class PremedicationGivenSerializer(_RecordSerializer):
    order = serializers.PrimaryKeyRelatedField(
        queryset=PremedicationOrder.objects.none(),
        required=False,
        allow_null=True,
        help_text="The pre-medication order it fulfils (one of the patient's active orders for the protocol).",
    )
    drug = serializers.CharField(max_length=80, required=False, allow_blank=True, help_text="Blank: the order's.")
    dose = serializers.CharField(max_length=40, required=False, allow_blank=True, help_text="Blank: the order's.")
    given_at = StrictDateTimeField(required=False, help_text="Blank: now.")

    class Meta:
        model = PremedicationGiven
        fields = [*_RECORDED, "order", "drug", "dose", "given_at"]
        read_only_fields = ["id", "appointment"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        appointment = self.context.get("appointment")
        if appointment is not None:
            self.fields["order"].queryset = PremedicationOrder.objects.filter(
                patient_id=appointment.patient_id, protocol_id=appointment.protocol_id, is_active=True
            )

    def validate(self, attrs):
        if not attrs.get("order") and not (attrs.get("drug") or "").strip():
            raise serializers.ValidationError({"order": ["Give the order, or name the drug given."]})
        return attrs


class PreparationStepSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PreparationStatus.choices)
    reason = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class PreparationSerializer(serializers.Serializer):
    appointment = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    prepared_at = serializers.DateTimeField(allow_null=True)
    dispensed_at = serializers.DateTimeField(allow_null=True)
    wasted_at = serializers.DateTimeField(allow_null=True)
    waste_reason = serializers.CharField()


class LadderStepSerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=7, decimal_places=2)
    unit = serializers.CharField()
    minutes = serializers.IntegerField()


class DosePlanSerializer(serializers.Serializer):
    """What the dose is and how long it holds the chair (``regimens.dosing.dose_plan``)."""

    appointment = serializers.IntegerField()
    dose_number = serializers.IntegerField()
    amount_mg = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)
    amount_label = serializers.CharField()
    weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    weight_measured_on = serializers.DateField(allow_null=True)
    is_weight_stale = serializers.BooleanField()
    needs_weight = serializers.BooleanField()
    course_days = serializers.IntegerField(allow_null=True)
    infusion_source = serializers.CharField()
    ladder_name = serializers.CharField()
    steps = LadderStepSerializer(many=True)
    setup_minutes = serializers.IntegerField()
    premedication_minutes = serializers.IntegerField()
    infusion_minutes = serializers.IntegerField()
    observation_minutes = serializers.IntegerField()
    chair_minutes = serializers.IntegerField()
    requirements = serializers.ListField(child=serializers.CharField())
    problems = serializers.ListField(child=serializers.CharField())


class QueueRowSerializer(serializers.Serializer):
    appointment = serializers.IntegerField(source="appointment.pk")
    patient = serializers.IntegerField(source="appointment.patient_id")
    protocol = serializers.CharField(source="appointment.protocol.code")
    dose_number = serializers.IntegerField(source="appointment.dose_number")
    start = serializers.DateTimeField(source="appointment.start")
    amount_label = serializers.CharField(source="plan.amount_label")
    status = serializers.CharField()
    status_label = serializers.CharField()
    needed_at = serializers.DateTimeField()
    prepare_by = serializers.DateTimeField()
    not_before = serializers.DateTimeField()
    waste_reason = serializers.CharField()
    allowed_steps = serializers.ListField(child=serializers.CharField())
