"""REST API for centers (hours, staffing rules), chairs, chair blocks and nurse shifts.

Everything is scoped to the centers the user works at; another center's objects answer 404.
Changing a center, its chairs or its shifts needs the center administrator's model permissions
(front desk and nurses may only read them; nurses may also block chairs).
"""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers, viewsets

from chairs.models import Center, Chair, ChairBlock, ChairFeature, ChairKind, Closure, NurseShift, OpeningHours
from chairs.selectors import centers_for
from infusion_center.api_common import (
    ModelPermissions,
    Pagination,
    ScopedPrimaryKeyRelatedField,
    StrictModelSerializer,
    crud_schema,
    django_validation_to_drf,
    in_user_centers,
    parse_aware,
    user_center_ids,
)

# --- Serializers ---------------------------------------------------------------------------------


class OpeningHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]

    def validate(self, attrs):
        # A PATCH of the center makes nested entries partial too; each entry is still a whole one.
        missing = {name: ["This field is required."] for name in ("weekday", "opens", "closes") if name not in attrs}
        if missing:
            raise serializers.ValidationError(missing)
        if attrs["closes"] <= attrs["opens"]:
            raise serializers.ValidationError({"closes": ["Closing time must be after opening time."]})
        return attrs


class ClosureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Closure
        fields = ["date", "reason"]

    def validate(self, attrs):
        if "date" not in attrs:
            raise serializers.ValidationError({"date": ["This field is required."]})
        try:
            Closure(date=attrs["date"]).clean()
        except DjangoValidationError as error:
            raise django_validation_to_drf(error) from error
        return attrs


def _centers_scope(user, queryset):
    return queryset.filter(pk__in=user_center_ids(user))


class CenterSerializer(StrictModelSerializer):
    opening_hours = OpeningHoursSerializer(
        many=True, required=False, help_text="Weekly hours, one entry per open weekday (0 = Monday)."
    )
    closures = ClosureSerializer(many=True, required=False, help_text="Whole days the center is closed.")
    reminder_offsets_hours = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=24 * 14),
        max_length=10,
        required=False,
        help_text="Hours before the appointment at which reminders go out, e.g. [72, 24].",
    )

    class Meta:
        model = Center
        fields = [
            "id",
            "name",
            "timezone",
            "phone",
            "address",
            "slot_minutes",
            "patients_per_nurse",
            "starts_per_nurse_per_window",
            "start_window_minutes",
            "noshow_grace_minutes",
            "reminder_offsets_hours",
            "quiet_hours_start",
            "quiet_hours_end",
            "opening_hours",
            "closures",
        ]

    def validate_opening_hours(self, value):
        weekdays = [entry["weekday"] for entry in value]
        if len(weekdays) != len(set(weekdays)):
            raise serializers.ValidationError("Give each weekday at most once.")
        return value

    def validate_closures(self, value):
        dates = [entry["date"] for entry in value]
        if len(dates) != len(set(dates)):
            raise serializers.ValidationError("Give each closed date at most once.")
        return value

    def _write_nested(self, center: Center, hours, closures) -> None:
        if hours is not None:
            center.opening_hours.all().delete()
            OpeningHours.objects.bulk_create(OpeningHours(center=center, **entry) for entry in hours)
        if closures is not None:
            center.closures.all().delete()
            Closure.objects.bulk_create(Closure(center=center, **entry) for entry in closures)

    @transaction.atomic
    def create(self, validated_data):
        hours = validated_data.pop("opening_hours", None)
        closures = validated_data.pop("closures", None)
        center = super().create(validated_data)
        request = self.context.get("request")
        if request is not None:
            center.staff.add(request.user)
            request.user._api_center_ids = None
        self._write_nested(center, hours, closures)
        return center

    @transaction.atomic
    def update(self, instance, validated_data):
        hours = validated_data.pop("opening_hours", None)
        closures = validated_data.pop("closures", None)
        center = super().update(instance, validated_data)
        self._write_nested(center, hours, closures)
        return center


class ChairSerializer(StrictModelSerializer):
    center = ScopedPrimaryKeyRelatedField(scope=_centers_scope, queryset=Center.objects.all())
    features = serializers.ListField(
        child=serializers.ChoiceField(choices=ChairFeature.choices),
        max_length=len(ChairFeature.choices),
        required=False,
        help_text="What the chair offers: " + ", ".join(ChairFeature.values) + ".",
    )

    class Meta:
        model = Chair
        fields = ["id", "center", "label", "kind", "features", "is_active"]

    def validate_features(self, value):
        return sorted(set(value))


class ChairBlockSerializer(StrictModelSerializer):
    chair = ScopedPrimaryKeyRelatedField(scope=in_user_centers("center_id"), queryset=Chair.objects.all())
    center = serializers.IntegerField(source="chair.center_id", read_only=True)

    class Meta:
        model = ChairBlock
        fields = ["id", "chair", "center", "start", "end", "reason"]

    def local_timezone(self, instance):
        return instance.chair.center.tzinfo


def _nurses_scope(user, queryset):
    return queryset.filter(centers__in=user_center_ids(user)).distinct()


class NurseShiftSerializer(StrictModelSerializer):
    center = ScopedPrimaryKeyRelatedField(scope=_centers_scope, queryset=Center.objects.all())
    nurse = ScopedPrimaryKeyRelatedField(
        scope=_nurses_scope, queryset=get_user_model().objects.all(), help_text="User id of a nurse of the center."
    )
    nurse_name = serializers.SerializerMethodField()

    class Meta:
        model = NurseShift
        fields = ["id", "center", "nurse", "nurse_name", "start", "end"]

    def get_nurse_name(self, shift) -> str:
        return shift.nurse.get_full_name() or shift.nurse.get_username()

    def local_timezone(self, instance):
        return instance.center.tzinfo

    def validate(self, attrs):
        attrs = super().validate(attrs)
        nurse = attrs.get("nurse") or getattr(self.instance, "nurse", None)
        start = attrs.get("start") or getattr(self.instance, "start", None)
        end = attrs.get("end") or getattr(self.instance, "end", None)
        if nurse is not None and start and end:
            overlapping = NurseShift.objects.filter(nurse=nurse, start__lt=end, end__gt=start)
            if self.instance is not None:
                overlapping = overlapping.exclude(pk=self.instance.pk)
            if overlapping.exists():
                raise serializers.ValidationError({"start": ["The nurse already has a shift at that time."]})
        return attrs


# --- Filters -------------------------------------------------------------------------------------


class ChairFilter(django_filters.FilterSet):
    feature = django_filters.ChoiceFilter(
        choices=ChairFeature.choices, method="filter_feature", help_text="Chairs offering this feature."
    )
    kind = django_filters.ChoiceFilter(choices=ChairKind.choices)

    class Meta:
        model = Chair
        fields = ["center", "kind", "is_active"]

    def filter_feature(self, queryset, name, value):
        return queryset.filter(features__contains=[value])


class _TimeRangeFilter(django_filters.FilterSet):
    """``starts_before`` / ``ends_after``: aware ISO datetimes selecting rows that overlap a time range."""

    ends_after = django_filters.CharFilter(
        method="filter_ends_after", help_text="Only rows ending after this ISO 8601 datetime (with offset)."
    )
    starts_before = django_filters.CharFilter(
        method="filter_starts_before", help_text="Only rows starting before this ISO 8601 datetime (with offset)."
    )

    def filter_ends_after(self, queryset, name, value):
        return queryset.filter(end__gt=parse_aware(value, field=name))

    def filter_starts_before(self, queryset, name, value):
        return queryset.filter(start__lt=parse_aware(value, field=name))


class ChairBlockFilter(_TimeRangeFilter):
    center = django_filters.NumberFilter(field_name="chair__center")

    class Meta:
        model = ChairBlock
        fields = ["chair", "center"]


class NurseShiftFilter(_TimeRangeFilter):
    class Meta:
        model = NurseShift
        fields = ["center", "nurse"]


# --- Viewsets ------------------------------------------------------------------------------------

_CENTER_EXAMPLE = {
    "id": 1,
    "name": "Riverside Neurology Infusion",
    "timezone": "America/New_York",
    "phone": "+16175550100",
    "address": "1 River St, Boston MA",
    "slot_minutes": 15,
    "patients_per_nurse": 4,
    "starts_per_nurse_per_window": 2,
    "start_window_minutes": 30,
    "noshow_grace_minutes": 30,
    "reminder_offsets_hours": [72, 24],
    "quiet_hours_start": "21:00:00",
    "quiet_hours_end": "08:00:00",
    "opening_hours": [{"weekday": 0, "opens": "07:00:00", "closes": "19:00:00"}],
    "closures": [{"date": "2026-12-25", "reason": "Christmas Day"}],
}


class _ScopedViewSet(viewsets.ModelViewSet):
    permission_classes = [ModelPermissions]
    pagination_class = Pagination


@extend_schema_view(
    **crud_schema(
        noun="center",
        plural="centers",
        example=_CENTER_EXAMPLE,
        list_description="The centers you work at, with opening hours, closures, slot minutes and staffing rules.",
        write_description=(
            "Center administrators may change their center's settings; only superusers may add centers (the "
            "creator joins the staff). Sending `opening_hours` or `closures` replaces the whole list."
        ),
        create_example={k: v for k, v in _CENTER_EXAMPLE.items() if k != "id"},
        patch_example={"patients_per_nurse": 3, "starts_per_nurse_per_window": 2},
        delete_description="Superusers only; refused (409) while patients or appointments refer to it.",
    )
)
class CenterViewSet(_ScopedViewSet):
    serializer_class = CenterSerializer
    ordering_fields = ["name", "id"]
    search_fields = ["name"]
    filterset_fields = ["timezone"]

    def get_queryset(self):
        return centers_for(user=self.request.user).prefetch_related("opening_hours", "closures").order_by("name")


_CHAIR_EXAMPLE = {"id": 7, "center": 1, "label": "C07", "kind": "chair", "features": ["pump"], "is_active": True}


@extend_schema_view(
    **crud_schema(
        noun="chair",
        plural="chairs, beds and rooms",
        example=_CHAIR_EXAMPLE,
        list_description="Filter by `center`, `kind`, `is_active` or `feature`; search by label; order by `label`, `kind`.",
        write_description="Center administrators only. Labels are unique within a center.",
        create_example={"center": 1, "label": "B01", "kind": "bed", "features": ["near_station"], "is_active": True},
        patch_example={"is_active": False},
        delete_description="Center administrators only; refused (409) if it has appointments (retire it instead).",
    )
)
class ChairViewSet(_ScopedViewSet):
    serializer_class = ChairSerializer
    filterset_class = ChairFilter
    ordering_fields = ["label", "kind", "center", "id"]
    search_fields = ["label"]

    def get_queryset(self):
        return Chair.objects.filter(center_id__in=user_center_ids(self.request.user))


_TIME_EXAMPLE = {"start": "2026-12-07T09:00:00-05:00", "end": "2026-12-07T11:00:00-05:00"}


_BLOCK_EXAMPLE = {"id": 3, "chair": 7, "center": 1, **_TIME_EXAMPLE, "reason": "Pump maintenance"}


@extend_schema_view(
    **crud_schema(
        noun="chair block",
        plural="chair blocks",
        example=_BLOCK_EXAMPLE,
        list_description="Times a chair is out of service. Filter by `chair`, `center`, `ends_after`, `starts_before`.",
        write_description=(
            "Nurses and administrators. Times are ISO 8601 with a UTC offset; `end` must follow `start`."
        ),
        create_example={"chair": 7, **_TIME_EXAMPLE, "reason": "Pump maintenance"},
        patch_example={"end": "2026-12-07T12:00:00-05:00"},
        delete_description="Nurses and administrators: the chair is back in service.",
    )
)
class ChairBlockViewSet(_ScopedViewSet):
    serializer_class = ChairBlockSerializer
    filterset_class = ChairBlockFilter
    ordering_fields = ["start", "end", "chair", "id"]

    def get_queryset(self):
        return ChairBlock.objects.filter(chair__center_id__in=user_center_ids(self.request.user)).select_related(
            "chair__center"
        )


_SHIFT_EXAMPLE = {
    "id": 4,
    "center": 1,
    "nurse": 12,
    "nurse_name": "Nina Nurse",
    "start": "2026-12-07T07:00:00-05:00",
    "end": "2026-12-07T19:00:00-05:00",
}


@extend_schema_view(
    **crud_schema(
        noun="shift",
        plural="nurse shifts",
        example=_SHIFT_EXAMPLE,
        list_description="Who is on duty when. Filter by `center`, `nurse`, `ends_after`, `starts_before`.",
        write_description=(
            "Center administrators only. The nurse must work at the center; one nurse's shifts never overlap; "
            "a shift lasts at most 24 hours."
        ),
        create_example={k: v for k, v in _SHIFT_EXAMPLE.items() if k not in ("id", "nurse_name")},
        patch_example={"end": "2026-12-07T15:00:00-05:00"},
        delete_description="Center administrators only.",
    )
)
class NurseShiftViewSet(_ScopedViewSet):
    serializer_class = NurseShiftSerializer
    filterset_class = NurseShiftFilter
    ordering_fields = ["start", "end", "nurse", "id"]

    def get_queryset(self):
        return NurseShift.objects.filter(center_id__in=user_center_ids(self.request.user)).select_related(
            "center", "nurse"
        )
