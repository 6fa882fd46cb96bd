from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from infusion_center.admin_scoping import CenterScopedAdmin, local_time
from scheduling import services
from scheduling.errors import SchedulingError
from scheduling.models import Appointment, AppointmentStatus, CenterProtocolSettings, Protocol


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


@admin.register(CenterProtocolSettings)
class CenterProtocolSettingsAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    """A center's own chair time and interval for a protocol (the setup page edits the same rows)."""

    list_display = ["protocol", "center", "later_dose_infusion_minutes", "observation_minutes", "interval_days"]
    list_filter = ["center"]


class AppointmentAdminForm(forms.ModelForm):
    """Chair and start may be changed here, but only through ``services.move_appointment``.

    The planner re-checks the new slot under the lock on the center's day, readiness and reminders
    follow, and a refusal (the slot was just taken, nurses are full…) is a form error, never a 500.
    Status changes go through the pages (the one state machine); they are read-only here.
    """

    request = None  # set by AppointmentAdmin.get_form

    class Meta:
        model = Appointment
        fields = ["chair", "start", "notes"]

    def _post_clean(self):
        # Last step of validation, so that a move is made only when the rest of the form is valid.
        original = (self.instance.chair_id, self.instance.start)
        super()._post_clean()
        chair, start = self.cleaned_data.get("chair"), self.cleaned_data.get("start")
        if self.errors or chair is None or start is None or (chair.pk, start) == original:
            return
        try:
            services.move_appointment(actor=self.request.user, appointment=self.instance, chair=chair, start=start)
        except SchedulingError as error:
            self.add_error(None, forms.ValidationError(error.message, code=error.code))


@admin.register(Appointment)
class AppointmentAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    form = AppointmentAdminForm
    list_display = ["local_start", "patient", "protocol", "dose_number", "chair", "status", "chair_stage"]
    list_filter = [("center", admin.RelatedOnlyFieldListFilter), "status", "chair_stage", "protocol"]
    search_fields = ["patient__mrn", "patient__last_name", "patient__first_name", "chair__label"]
    date_hierarchy = "start"
    list_select_related = ["center", "patient", "protocol", "chair"]
    readonly_fields = [
        "center",
        "patient",
        "protocol",
        "dose_number",
        "end",
        "status",
        "chair_stage",
        "booked_by",
        "cancelled_by",
        "cancel_reason",
        "cancelled_at",
        "confirmed_at",
        "arrived_at",
        "chair_start_at",
        "infusion_start_at",
        "observation_start_at",
        "discharged_at",
        "readiness_override_reason",
        "readiness_override_by",
        "created_at",
        "updated_at",
    ]

    @admin.display(description="start", ordering="start")
    def local_start(self, appointment):
        return local_time(appointment, "start")

    def has_add_permission(self, request):
        return False  # book in the slot finder: the planner, readiness and reminders run there

    def revert_disabled(self, request, obj=None):
        return True  # reverting to an old version would bypass the state machine and the planner

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        if obj is not None and "chair" in form.base_fields:
            form.base_fields["chair"].queryset = form.base_fields["chair"].queryset.filter(center_id=obj.center_id)
        return form

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not _movable(obj):
            readonly += ["chair", "start"]  # seated, done or cancelled: the time is history now
        return readonly

    def save_model(self, request, obj, form, change):
        # Chair and start were moved by the form (under the lock); only the notes remain to be saved.
        services.change_notes(actor=request.user, appointment=obj, notes=form.cleaned_data.get("notes", obj.notes))


def _movable(appointment: Appointment) -> bool:
    return appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.PENDING) or (
        appointment.status == AppointmentStatus.ARRIVED and not appointment.chair_stage
    )
