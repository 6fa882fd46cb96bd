from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from infusion_center.admin_scoping import CenterScopedAdmin, CenterScopedInline
from patients.models import Patient


@admin.register(Patient)
class PatientAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["mrn", "last_name", "first_name", "date_of_birth", "center", "reminder_channel"]
    list_filter = [
        ("center", admin.RelatedOnlyFieldListFilter),
        "reminder_channel",
        "has_reminder_consent",
        "is_sms_opted_out",
        "preferred_language",
    ]
    search_fields = ["mrn", "first_name", "last_name", "email", "phone"]


# Treatment plans (issue 8).
from patients.models import Order, PrerequisiteDocument, PriorAuthorization  # noqa: E402


class PriorAuthorizationInline(CenterScopedInline, admin.TabularInline):
    model = PriorAuthorization
    extra = 0
    fields = ["payer", "reference_number", "status", "approved_from", "approved_until", "approved_visits"]
    raw_id_fields = ["patient"]


@admin.register(Order)
class OrderAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["patient", "protocol", "ordering_provider", "dose_count", "start_date", "valid_until", "is_active"]
    list_filter = ["protocol", "is_active", ("patient__center", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["patient__mrn", "patient__last_name", "ordering_provider"]
    raw_id_fields = ["patient"]
    list_select_related = ["patient", "protocol"]


@admin.register(PriorAuthorization)
class PriorAuthorizationAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["patient", "order", "payer", "reference_number", "status", "approved_until", "approved_visits"]
    list_filter = ["status", "payer"]
    search_fields = ["patient__mrn", "patient__last_name", "reference_number", "payer"]
    raw_id_fields = ["patient", "order"]


@admin.register(PrerequisiteDocument)
class PrerequisiteDocumentAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["patient", "kind", "performed_on", "result", "recorded_by"]
    list_filter = ["kind", "result"]
    search_fields = ["patient__mrn", "patient__last_name"]
    raw_id_fields = ["patient"]
