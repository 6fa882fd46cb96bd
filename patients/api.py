"""REST API for patients: CRUD and search by name, MRN or date of birth, scoped to the user's centers."""

from __future__ import annotations

import datetime as dt
from typing import cast

import django_filters
from django.contrib.auth.models import User
from django.db.models import Q
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import filters, serializers, viewsets

from chairs.models import Center
from infusion_center.api_common import (
    ModelPermissions,
    Pagination,
    ScopedPrimaryKeyRelatedField,
    StrictModelSerializer,
    crud_schema,
    user_center_ids,
)
from patients.models import Patient
from patients.services import update_patient

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y")
MAX_SEARCH_LENGTH = 200


def _parse_date(text: str) -> dt.date | None:
    for date_format in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, date_format).date()
        except ValueError:
            continue
    return None


class PatientSerializer(StrictModelSerializer):
    center = ScopedPrimaryKeyRelatedField(
        scope=lambda user, qs: qs.filter(pk__in=user_center_ids(user)), queryset=Center.objects.all()
    )
    full_name = serializers.CharField(read_only=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "center",
            "mrn",
            "first_name",
            "last_name",
            "full_name",
            "date_of_birth",
            "phone",
            "email",
            "preferred_language",
            "timezone",
            "reminder_channel",
            "has_reminder_consent",
            "is_sms_opted_out",
            "care_partner_name",
            "care_partner_phone",
            "care_partner_email",
            "preferred_chair_kind",
            "preferred_chair_features",
            "needs_bed",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate_date_of_birth(self, value):
        if value.year < 1880:
            raise serializers.ValidationError("Enter a date of birth after 1880.")
        return value

    def local_timezone(self, instance):
        return instance.center.tzinfo


class PatientFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(method="filter_name", max_length=MAX_SEARCH_LENGTH, help_text="Part of a name.")
    mrn = django_filters.CharFilter(lookup_expr="iexact", max_length=32, help_text="Exact medical record number.")

    class Meta:
        model = Patient
        fields = ["center", "mrn", "date_of_birth", "reminder_channel", "has_reminder_consent"]

    def filter_name(self, queryset, name, value):
        for term in value.split():
            queryset = queryset.filter(Q(first_name__icontains=term) | Q(last_name__icontains=term))
        return queryset


class PatientSearch(filters.SearchFilter):
    """``search=`` (or ``q=``): every word must match a name or MRN; a word that is a date matches the date of birth."""

    def filter_queryset(self, request, queryset, view):
        text = request.query_params.get(self.search_param) or request.query_params.get("q", "")
        if len(text) > MAX_SEARCH_LENGTH or "\x00" in text:
            raise serializers.ValidationError(
                {"search": [f"Search for at most {MAX_SEARCH_LENGTH} characters, without NUL characters."]}
            )
        for term in text.replace(",", " ").split():
            day = _parse_date(term)
            if day is not None:
                queryset = queryset.filter(date_of_birth=day)
            else:
                queryset = queryset.filter(
                    Q(first_name__icontains=term) | Q(last_name__icontains=term) | Q(mrn__icontains=term)
                )
        return queryset


_PATIENT_EXAMPLE = {
    "center": 1,
    "mrn": "MRN004211",
    "first_name": "Maria",
    "last_name": "Lopez",
    "date_of_birth": "1961-04-12",
    "phone": "+16175550142",
    "email": "maria.lopez@example.org",
    "preferred_language": "es",
    "timezone": "",
    "reminder_channel": "sms",
    "has_reminder_consent": True,
    "is_sms_opted_out": False,
    "care_partner_name": "",
    "care_partner_phone": "",
    "care_partner_email": "",
    "notes": "",
}


_PATIENT_LIST = extend_schema(
    summary="List and search patients",
    description=(
        "Patients of your centers. `search` matches every word against first name, last name and MRN; a word "
        "that is a date (1961-04-12 or 04/12/1961) matches the date of birth. Filters: `center`, `mrn`, `name`, "
        "`date_of_birth`, `reminder_channel`, `has_reminder_consent`. Order by `last_name`, `first_name`, "
        "`date_of_birth`, `mrn`."
    ),
    parameters=[OpenApiParameter("search", str, description="Name, MRN or date of birth (words are combined).")],
    examples=[OpenApiExample("A patient", value={"id": 5, **_PATIENT_EXAMPLE}, response_only=True)],
)


@extend_schema_view(
    **{
        **crud_schema(
            noun="patient",
            plural="patients",
            example={"id": 5, **_PATIENT_EXAMPLE, "full_name": "Maria Lopez"},
            list_description="",
            write_description=(
                "Nurses, front desk and administrators. MRNs are unique; phones are stored in E.164; reminders "
                "need consent and a mobile number or an email for the chosen channel."
            ),
            create_example=_PATIENT_EXAMPLE,
            patch_example={"is_sms_opted_out": True},
            delete_description="Administrators only; refused (409) while the patient has appointments.",
        ),
        "list": _PATIENT_LIST,
    }
)
class PatientViewSet(viewsets.ModelViewSet):
    serializer_class = PatientSerializer
    permission_classes = [ModelPermissions]
    pagination_class = Pagination
    filterset_class = PatientFilter
    filter_backends = [
        django_filters.rest_framework.DjangoFilterBackend,
        filters.OrderingFilter,
        PatientSearch,
    ]
    ordering_fields = ["last_name", "first_name", "date_of_birth", "mrn", "id", "created_at"]
    ordering = ["last_name", "first_name", "mrn"]

    def get_queryset(self):
        return Patient.objects.filter(center_id__in=user_center_ids(self.request.user)).select_related("center")

    def perform_update(self, serializer):
        actor = cast(User, self.request.user)  # the API admits only signed-in staff
        update_patient(patient=serializer.instance, actor=actor, changes=serializer.validated_data)
