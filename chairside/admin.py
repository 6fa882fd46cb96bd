"""Chair-side records in the Django admin, scoped to the user's centers. Vitals, reactions and lots are
documented at the chair (``/chairside/doses/<id>/``) and only corrected here; preparation status
changes go through the pharmacy queue (``services.set_preparation_status``), so it is read-only here."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from chairside.models import (
    Allergy,
    DosePreparation,
    DrugLot,
    InfusionReaction,
    PremedicationGiven,
    PremedicationOrder,
    VitalSigns,
)
from infusion_center.admin_scoping import CenterScopedAdmin


@admin.register(Allergy)
class AllergyAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["patient", "substance", "severity", "is_active"]
    list_filter = ["severity", "is_active"]
    search_fields = ["patient__mrn", "patient__last_name", "substance"]
    raw_id_fields = ["patient"]
    readonly_fields = ["recorded_by"]


@admin.register(PremedicationOrder)
class PremedicationOrderAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["patient", "protocol", "drug", "dose", "minutes_before", "window_minutes", "is_active"]
    list_filter = ["protocol", "is_active"]
    raw_id_fields = ["patient"]


@admin.register(InfusionReaction)
class InfusionReactionAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["patient", "protocol", "onset_at", "grade", "action"]
    list_filter = ["grade", "action", "protocol"]
    readonly_fields = ["appointment", "patient", "protocol", "recorded_by"]

    def has_add_permission(self, request):
        return False


@admin.register(VitalSigns)
class VitalSignsAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["appointment", "phase", "taken_at", "systolic", "diastolic", "pulse"]
    readonly_fields = ["appointment", "recorded_by"]

    def has_add_permission(self, request):
        return False


@admin.register(DrugLot)
class DrugLotAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["appointment", "lot_number", "expires_on"]
    readonly_fields = ["appointment", "recorded_by"]

    def has_add_permission(self, request):
        return False


@admin.register(DosePreparation)
class DosePreparationAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["appointment", "status", "prepared_at", "dispensed_at", "wasted_at"]
    list_filter = ["status"]
    readonly_fields = ["appointment", "status", "prepared_at", "dispensed_at", "wasted_at", "waste_reason"]

    def has_add_permission(self, request):
        return False


@admin.register(PremedicationGiven)
class PremedicationGivenAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["appointment", "drug", "dose", "given_at", "given_by"]
    readonly_fields = ["appointment", "order", "given_by"]

    def has_add_permission(self, request):
        return False
