from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from patients.models import Patient
from patients.services import update_patient


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):
    list_display = ["mrn", "last_name", "first_name", "date_of_birth", "center", "reminder_channel"]
    list_filter = [
        "center",
        "reminder_channel",
        "has_reminder_consent",
        "is_sms_opted_out",
        "preferred_language",
    ]
    search_fields = ["mrn", "first_name", "last_name", "email", "phone"]

    def save_model(self, request, obj, form, change):
        if change:
            update_patient(patient=obj, actor=request.user)  # re-plans reminders like the pages and the API
        else:
            super().save_model(request, obj, form, change)
