from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from scheduling.models import Appointment, Protocol


@admin.register(Protocol)
class ProtocolAdmin(SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "drug",
        "brand",
        "first_dose_infusion_minutes",
        "later_dose_infusion_minutes",
    ]
    list_filter = ["is_active", "required_chair_kind"]
    search_fields = ["code", "name", "drug", "brand", "indication"]


@admin.register(Appointment)
class AppointmentAdmin(SimpleHistoryAdmin):
    list_display = ["start", "patient", "protocol", "dose_number", "chair", "status", "chair_stage"]
    list_filter = ["center", "status", "chair_stage", "protocol"]
    search_fields = ["patient__mrn", "patient__last_name", "patient__first_name", "chair__label"]
    date_hierarchy = "start"
    raw_id_fields = ["patient"]
    list_select_related = ["patient", "protocol", "chair"]


# Protocol prerequisites (issue 8): editable by center admins, seeded from DOMAIN.md.
from scheduling.models import ProtocolPrerequisite  # noqa: E402


class ProtocolPrerequisiteInline(admin.TabularInline):
    model = ProtocolPrerequisite
    extra = 0
    fields = ["kind", "applies_to", "dose_numbers", "window_days", "min_days_before", "notes", "is_active"]


ProtocolAdmin.inlines = [*ProtocolAdmin.inlines, ProtocolPrerequisiteInline]


@admin.register(ProtocolPrerequisite)
class ProtocolPrerequisiteAdmin(SimpleHistoryAdmin):
    list_display = ["protocol", "__str__", "applies_to", "window_days", "min_days_before", "is_active"]
    list_filter = ["protocol", "kind", "is_active"]
