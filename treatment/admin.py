"""Admin for treatment plans: orders (with their authorizations), documents and protocol prerequisites.

Protocol prerequisites are editable by center admins, seeded from DOMAIN.md, and also shown
inline on the protocol's admin page.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from scheduling.admin import ProtocolAdmin
from treatment.models import Order, PrerequisiteDocument, PriorAuthorization, ProtocolPrerequisite


class PriorAuthorizationInline(admin.TabularInline):
    model = PriorAuthorization
    extra = 0
    fields = ["payer", "reference_number", "status", "approved_from", "approved_until", "approved_visits"]
    raw_id_fields = ["patient"]


@admin.register(Order)
class OrderAdmin(SimpleHistoryAdmin):
    list_display = ["patient", "protocol", "ordering_provider", "dose_count", "start_date", "valid_until", "is_active"]
    list_filter = ["protocol", "is_active", "patient__center"]
    search_fields = ["patient__mrn", "patient__last_name", "ordering_provider"]
    raw_id_fields = ["patient"]
    list_select_related = ["patient", "protocol"]


@admin.register(PriorAuthorization)
class PriorAuthorizationAdmin(SimpleHistoryAdmin):
    list_display = ["patient", "order", "payer", "reference_number", "status", "approved_until", "approved_visits"]
    list_filter = ["status", "payer"]
    search_fields = ["patient__mrn", "patient__last_name", "reference_number", "payer"]
    raw_id_fields = ["patient", "order"]


@admin.register(PrerequisiteDocument)
class PrerequisiteDocumentAdmin(SimpleHistoryAdmin):
    list_display = ["patient", "kind", "performed_on", "result", "recorded_by"]
    list_filter = ["kind", "result"]
    search_fields = ["patient__mrn", "patient__last_name"]
    raw_id_fields = ["patient"]


class ProtocolPrerequisiteInline(admin.TabularInline):
    model = ProtocolPrerequisite
    extra = 0
    fields = ["kind", "applies_to", "dose_numbers", "window_days", "min_days_before", "notes", "is_active"]


ProtocolAdmin.inlines = [*ProtocolAdmin.inlines, ProtocolPrerequisiteInline]


@admin.register(ProtocolPrerequisite)
class ProtocolPrerequisiteAdmin(SimpleHistoryAdmin):
    list_display = ["protocol", "__str__", "applies_to", "window_days", "min_days_before", "is_active"]
    list_filter = ["protocol", "kind", "is_active"]
