"""The appointments' filter set for the API: ids, statuses, local days of each center, aware datetimes."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from rest_framework import serializers

from chairs.models import Center
from chairs.selectors import day_bounds
from infusion_center.api_common import (
    parse_aware,
    user_center_ids,
)
from scheduling.models import Appointment, AppointmentStatus


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
                local &= Q(start__gte=day_bounds(center=center, day=date_from)[0])
            if date_to:
                local &= Q(start__lt=day_bounds(center=center, day=date_to)[1])
            condition |= local
        return queryset.filter(condition) if condition else queryset.none()
