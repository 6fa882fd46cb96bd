from django.contrib import admin

from chairs.models import Center, Chair, ChairBlock, Closure, NurseShift, OpeningHours


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Center)
class CenterAdmin(admin.ModelAdmin):
    list_display = ["name", "timezone", "slot_minutes", "patients_per_nurse", "starts_per_nurse_per_window"]
    search_fields = ["name"]
    filter_horizontal = ["staff"]
    inlines = [OpeningHoursInline, ClosureInline]


@admin.register(Chair)
class ChairAdmin(admin.ModelAdmin):
    list_display = ["label", "center", "kind", "features", "is_active"]
    list_filter = ["center", "kind", "is_active"]
    search_fields = ["label"]


@admin.register(ChairBlock)
class ChairBlockAdmin(admin.ModelAdmin):
    list_display = ["chair", "start", "end", "reason"]
    list_filter = ["chair__center"]
    search_fields = ["chair__label", "reason"]
    date_hierarchy = "start"


@admin.register(NurseShift)
class NurseShiftAdmin(admin.ModelAdmin):
    list_display = ["nurse", "center", "start", "end"]
    list_filter = ["center", "nurse"]
    search_fields = ["nurse__username", "nurse__first_name", "nurse__last_name"]
    date_hierarchy = "start"
