"""Admin for treatment plans: orders (with their authorizations), documents and protocol prerequisites.

Protocol prerequisites are editable by center admins, seeded from DOMAIN.md, and also shown
inline on the protocol's admin page.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from infusion_center.admin_scoping import CenterScopedAdmin, CenterScopedInline
from scheduling.admin import ProtocolAdmin
from treatment import services as plans
from treatment.models import Order, PrerequisiteDocument, PriorAuthorization, ProtocolPrerequisite


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

    # Orders and their authorizations are saved through treatment.services, as on the pages and the API,
    # so who changed them is recorded and their change hooks (the webhooks' outbox) run.
    def save_model(self, request, obj, form, change):
        plans.save_order(actor=request.user, order=obj, patient=obj.patient)

    def delete_model(self, request, obj):
        plans.delete_record(actor=request.user, instance=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not PriorAuthorization:
            return super().save_formset(request, form, formset, change)
        authorizations = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            plans.delete_record(actor=request.user, instance=deleted)
        for authorization in authorizations:
            plans.save_authorization(actor=request.user, authorization=authorization, order=form.instance)
        formset.save_m2m()


@admin.register(PriorAuthorization)
class PriorAuthorizationAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["patient", "order", "payer", "reference_number", "status", "approved_until", "approved_visits"]
    list_filter = ["status", "payer"]
    search_fields = ["patient__mrn", "patient__last_name", "reference_number", "payer"]
    raw_id_fields = ["patient", "order"]

    def save_model(self, request, obj, form, change):
        plans.save_authorization(actor=request.user, authorization=obj, order=obj.order)

    def delete_model(self, request, obj):
        plans.delete_record(actor=request.user, instance=obj)


@admin.register(PrerequisiteDocument)
class PrerequisiteDocumentAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["patient", "kind", "performed_on", "result", "recorded_by"]
    list_filter = ["kind", "result"]
    search_fields = ["patient__mrn", "patient__last_name"]
    raw_id_fields = ["patient"]


class ProtocolPrerequisiteInline(admin.TabularInline):
    model = ProtocolPrerequisite
    extra = 0
    fields = [
        "kind",
        "applies_to",
        "dose_numbers",
        "window_days",
        "min_days_before",
        "after_previous_dose",
        "is_acknowledgeable",
        "notes",
        "is_active",
    ]


ProtocolAdmin.inlines = [*ProtocolAdmin.inlines, ProtocolPrerequisiteInline]


@admin.register(ProtocolPrerequisite)
class ProtocolPrerequisiteAdmin(SimpleHistoryAdmin):
    list_display = ["protocol", "__str__", "applies_to", "window_days", "min_days_before", "is_active"]
    list_filter = ["protocol", "kind", "is_active"]
