"""Regimens in the Django admin: center admins edit every value (protocols are shared by all centers);
patient weights are scoped to the user's centers."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from infusion_center.admin_scoping import CenterScopedAdmin
from regimens.models import Course, DoseAmount, PatientWeight, RateLadder, RateStep, Regimen, WeightBand
from scheduling.admin import ProtocolAdmin


class DoseAmountInline(admin.TabularInline):
    model = DoseAmount
    extra = 0
    fields = ["from_dose", "to_dose", "amount", "unit", "divided_over_days", "notes"]


class WeightBandInline(admin.TabularInline):
    model = WeightBand
    extra = 0
    fields = ["from_dose", "to_dose", "min_kg", "below_kg", "amount_mg", "infusion_minutes", "notes"]


@admin.register(Regimen)
class RegimenAdmin(SimpleHistoryAdmin):
    list_display = ["protocol", "weight_valid_days", "course_days_min", "course_days_max", "preparation_lead_minutes"]
    search_fields = ["protocol__code", "protocol__name"]


class RateStepInline(admin.TabularInline):
    model = RateStep
    extra = 0
    fields = ["position", "rate", "minutes"]


@admin.register(RateLadder)
class RateLadderAdmin(SimpleHistoryAdmin):
    list_display = ["protocol", "name", "from_dose", "to_dose", "rate_unit", "is_short_option"]
    list_filter = ["protocol"]
    inlines = [RateStepInline]


@admin.register(DoseAmount)
class DoseAmountAdmin(SimpleHistoryAdmin):
    list_display = ["protocol", "from_dose", "to_dose", "amount", "unit", "divided_over_days"]
    list_filter = ["protocol"]


@admin.register(WeightBand)
class WeightBandAdmin(SimpleHistoryAdmin):
    list_display = ["protocol", "from_dose", "to_dose", "min_kg", "below_kg", "amount_mg", "infusion_minutes"]
    list_filter = ["protocol"]


@admin.register(PatientWeight)
class PatientWeightAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["patient", "kg", "measured_on", "recorded_by"]
    raw_id_fields = ["patient"]
    readonly_fields = ["recorded_by"]

    def save_model(self, request, obj, form, change):
        obj.recorded_by = obj.recorded_by or request.user
        super().save_model(request, obj, form, change)


@admin.register(Course)
class CourseAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    """Courses are recorded when booked as one unit (series booking); corrected here only."""

    list_display = ["patient", "protocol", "first_dose", "days", "recorded_by"]
    raw_id_fields = ["patient"]
    readonly_fields = ["patient", "protocol", "recorded_by"]

    def has_add_permission(self, request):
        return False


class RegimenInline(admin.StackedInline):
    model = Regimen
    extra = 0


# On the protocol's page too, beside its prerequisites.
ProtocolAdmin.inlines = [*ProtocolAdmin.inlines, RegimenInline, DoseAmountInline, WeightBandInline]
