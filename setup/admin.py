from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from setup.models import RecurringHoliday, RotaPattern


@admin.register(RecurringHoliday)
class RecurringHolidayAdmin(admin.ModelAdmin):
    list_display = ["center", "name", "month", "day"]
    list_filter = ["center"]


@admin.register(RotaPattern)
class RotaPatternAdmin(SimpleHistoryAdmin):
    list_display = ["center", "nurse", "__str__", "first_week", "until"]
    list_filter = ["center"]
    exclude = ["generated_shifts"]
