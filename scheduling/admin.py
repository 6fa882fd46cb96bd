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
