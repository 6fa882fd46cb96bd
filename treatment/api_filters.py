"""Filter sets of the treatment-plan API: by patient, protocol, center, status and dates."""

from __future__ import annotations

import django_filters
from django import forms
from django.db import models
from django.db.models import Q

from infusion_center.api_common import BoundedDateFilter
from treatment.models import AuthorizationStatus, Order, PrerequisiteDocument, PriorAuthorization, ProtocolPrerequisite


class StrictBooleanField(forms.NullBooleanField):
    """``true``/``false`` (or 1/0); anything else is a 400 naming the parameter, not "no filter"."""

    widget = forms.TextInput  # NullBooleanSelect would read any other text as "unknown"

    def to_python(self, value):
        if value in (None, ""):
            return None
        if str(value).lower() in ("true", "1"):
            return True
        if str(value).lower() in ("false", "0"):
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class _StrictFilterSet(django_filters.FilterSet):
    FILTER_DEFAULTS = {
        **django_filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }


class OrderFilter(_StrictFilterSet):
    center = django_filters.NumberFilter(field_name="patient__center", help_text="The patient's center.")
    valid_on = BoundedDateFilter(method="filter_valid_on", help_text="Orders valid on this day (YYYY-MM-DD).")

    class Meta:
        model = Order
        fields = ["patient", "protocol", "is_active", "ordering_provider"]

    def filter_valid_on(self, queryset, name, value):
        return queryset.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=value), start_date__lte=value)


class AuthorizationFilter(_StrictFilterSet):
    center = django_filters.NumberFilter(field_name="patient__center", help_text="The patient's center.")
    status = django_filters.MultipleChoiceFilter(
        choices=AuthorizationStatus.choices, help_text="One or more statuses (repeat the parameter)."
    )
    protocol = django_filters.NumberFilter(field_name="order__protocol", help_text="The order's protocol.")
    ends_before = BoundedDateFilter(field_name="approved_until", lookup_expr="lt", help_text="Approved until before.")

    class Meta:
        model = PriorAuthorization
        fields = ["patient", "order", "status", "payer", "reference_number"]


class DocumentFilter(_StrictFilterSet):
    center = django_filters.NumberFilter(field_name="patient__center", help_text="The patient's center.")
    performed_from = BoundedDateFilter(field_name="performed_on", lookup_expr="gte", help_text="Done on or after.")
    performed_to = BoundedDateFilter(field_name="performed_on", lookup_expr="lte", help_text="Done on or before.")

    class Meta:
        model = PrerequisiteDocument
        fields = ["patient", "kind", "result"]


class PrerequisiteFilter(_StrictFilterSet):
    class Meta:
        model = ProtocolPrerequisite
        fields = ["protocol", "kind", "applies_to", "is_active", "is_acknowledgeable", "after_previous_dose"]
