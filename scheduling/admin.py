from django import forms
from django.contrib import admin
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from scheduling import dose_rules
from scheduling.errors import NotReadyAtChair
from scheduling.models import BLOCKING_STATUSES, Appointment, ChairStage, Protocol


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


class AppointmentAdminForm(forms.ModelForm):
    """The admin edits rows directly, so it asks the same rule functions as the services (dose_rules)."""

    class Meta:
        model = Appointment
        fields = [
            f.name for f in Appointment._meta.get_fields() if getattr(f, "editable", False) and not f.auto_created
        ]

    def clean(self):
        data = super().clean()
        patient, protocol, start = data.get("patient"), data.get("protocol"), data.get("start")
        dose_number, center = data.get("dose_number"), data.get("center")
        if self.errors or not (patient and protocol and start and dose_number and center):
            return data
        date_fields = {"patient", "protocol", "start", "dose_number", "status"}
        is_new_date = self.instance.pk is None or date_fields & set(self.changed_data)
        if is_new_date and data.get("status") in BLOCKING_STATUSES:
            reasons = dose_rules.dose_refusals(
                patient_id=patient.pk,
                protocol=protocol,
                dose_number=dose_number,
                start=start,
                tz=center.tzinfo,
                exclude_appointment_id=self.instance.pk,
            )
            if reasons:
                raise forms.ValidationError([r.message for r in reasons])
        stage = data.get("chair_stage")
        if "chair_stage" in self.changed_data and stage in (ChairStage.IN_CHAIR, ChairStage.INFUSING):
            draft = Appointment(**{f: v for f, v in data.items() if f in _DRAFT_FIELDS}, pk=self.instance.pk)
            draft.chair_check_reason = self.instance.chair_check_reason
            draft.chair_check_codes = self.instance.chair_check_codes
            action = "seat" if stage == ChairStage.IN_CHAIR else "start_infusion"
            try:
                dose_rules.chair_gate(actor=None, appointment=draft, action=action, reason="", now=timezone.now())
            except NotReadyAtChair as error:
                raise forms.ValidationError(error.message) from error
        return data


_DRAFT_FIELDS = ("center", "patient", "protocol", "chair", "start", "end", "dose_number", "status", "chair_stage")


@admin.register(Appointment)
class AppointmentAdmin(SimpleHistoryAdmin):
    form = AppointmentAdminForm
    list_display = ["start", "patient", "protocol", "dose_number", "chair", "status", "chair_stage"]
    list_filter = ["center", "status", "chair_stage", "protocol"]
    search_fields = ["patient__mrn", "patient__last_name", "patient__first_name", "chair__label"]
    date_hierarchy = "start"
    raw_id_fields = ["patient"]
    list_select_related = ["patient", "protocol", "chair"]
