from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from infusion_center.admin_scoping import CenterScopedAdmin
from setup.models import RecurringHoliday, RotaPattern


@admin.register(RecurringHoliday)
class RecurringHolidayAdmin(CenterScopedAdmin):
    list_display = ["center", "name", "month", "day"]
    list_filter = [("center", admin.RelatedOnlyFieldListFilter)]


@admin.register(RotaPattern)
class RotaPatternAdmin(CenterScopedAdmin, SimpleHistoryAdmin):
    list_display = ["center", "nurse", "__str__", "first_week", "until"]
    list_filter = [("center", admin.RelatedOnlyFieldListFilter)]
    exclude = ["generated_shifts"]
