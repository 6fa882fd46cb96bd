"""What the waitlist API reads and writes: entries (with their earliest slot now) and offers.

Serializers parse input and shape output; they call no service (``waitlist.api`` does), so an entry
made through the API passes the very checks of the page's form (``waitlist.services.add_to_waitlist``).
"""

from __future__ import annotations

from rest_framework import serializers

from chairs.models import Center, Weekday
from infusion_center.api_common import BoundedDateField, ScopedPrimaryKeyRelatedField, in_user_centers
from patients.models import Patient
from scheduling.models import Appointment, Protocol
from treatment.models import Order
from waitlist.models import Offer, OfferChannel, TimeOfDay, WaitlistEntry

SHORT_NOTICE = {"min_value": 5, "max_value": 240, "allow_null": True, "required": False}


class OfferSerializer(serializers.ModelSerializer):
    patient = serializers.IntegerField(source="entry.patient_id", read_only=True)
    chair_label = serializers.CharField(source="chair.label", read_only=True)
    release_cause = serializers.CharField(source="release.cause", read_only=True)
    freed_appointment = serializers.IntegerField(source="release.appointment_id", read_only=True, allow_null=True)
    answered_by = serializers.CharField(source="answered_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Offer
        fields = [
            "id",
            "entry",
            "patient",
            "release",
            "release_cause",
            "freed_appointment",
            "chair",
            "chair_label",
            "start",
            "end",
            "channel",
            "code",
            "status",
            "outcome",
            "created_at",
            "sent_at",
            "expires_at",
            "answered_at",
            "answered_by",
            "appointment",
        ]
        read_only_fields = fields


class SlotSerializer(serializers.Serializer):
    chair = serializers.IntegerField(source="chair_id")
    chair_label = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class WaitlistEntrySerializer(serializers.ModelSerializer):
    """An entry as the waitlist page shows it (``earliest_slot`` and urgency only while it waits)."""

    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    protocol_code = serializers.CharField(source="protocol.code", read_only=True)
    is_overdue = serializers.SerializerMethodField()
    days_left = serializers.SerializerMethodField()
    earliest_slot = serializers.SerializerMethodField(help_text="The first time the planner finds now (or null).")

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "center",
            "patient",
            "patient_name",
            "protocol",
            "protocol_code",
            "order",
            "dose_number",
            "earliest",
            "latest",
            "due_date",
            "preferred_time_of_day",
            "preferred_weekdays",
            "replaces",
            "channel",
            "short_notice_minutes",
            "notes",
            "status",
            "booked_appointment",
            "is_overdue",
            "days_left",
            "earliest_slot",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def _row(self, entry):
        return self.context.get("rows", {}).get(entry.pk)

    def get_is_overdue(self, entry) -> bool | None:
        row = self._row(entry)
        return row.is_overdue if row else None

    def get_days_left(self, entry) -> int | None:
        row = self._row(entry)
        return row.days_left if row else None

    def get_earliest_slot(self, entry) -> dict | None:
        row = self._row(entry)
        if row is None or row.earliest_slot is None:
            return None
        return SlotSerializer(row.earliest_slot).data


class _EntryFields(serializers.Serializer):
    earliest = BoundedDateField(required=False, allow_null=True, help_text="Blank: the label window's first day.")
    latest = BoundedDateField(required=False, allow_null=True, help_text="Blank: the label window's last day.")
    preferred_time_of_day = serializers.ChoiceField(choices=TimeOfDay.choices, required=False)
    preferred_weekdays = serializers.ListField(
        child=serializers.ChoiceField(choices=Weekday.choices), max_length=7, required=False
    )
    channel = serializers.ChoiceField(choices=OfferChannel.choices, required=False)
    short_notice_minutes = serializers.IntegerField(
        **SHORT_NOTICE, help_text="The patient can be here this many minutes after an offer; null: the usual notice."
    )
    notes = serializers.CharField(max_length=255, required=False, allow_blank=True)


class WaitlistEntryCreateSerializer(_EntryFields):
    center = ScopedPrimaryKeyRelatedField(queryset=Center.objects.all(), scope=lambda user, qs: qs.filter(
        pk__in=in_user_centers("pk")(user, Center.objects.all()).values("pk")
    ), required=False, help_text="Default: the patient's center.")  # fmt: skip
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.all(), scope=in_user_centers())
    protocol = serializers.PrimaryKeyRelatedField(queryset=Protocol.objects.filter(is_active=True))
    dose_number = serializers.IntegerField(min_value=1, max_value=999)
    replaces = ScopedPrimaryKeyRelatedField(
        queryset=Appointment.objects.all(), scope=in_user_centers(), required=False, allow_null=True
    )
    order = ScopedPrimaryKeyRelatedField(
        queryset=Order.objects.all(), scope=in_user_centers("patient__center_id"), required=False, allow_null=True
    )
    channel = serializers.ChoiceField(choices=OfferChannel.choices)


class WaitlistEntryUpdateSerializer(_EntryFields):
    """The fields a waiting entry may change; the dose, patient or replaced appointment may not."""

    def validate(self, attrs):
        fixed = sorted(set(self.initial_data) - set(self.fields))
        if fixed:
            raise serializers.ValidationError(
                {fixed[0]: ["This field cannot be changed; withdraw the entry and add a new one."]}
            )
        return attrs


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
