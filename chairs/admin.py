from django.contrib import admin

from chairs.models import Center, Chair, ChairBlock, Closure, NurseShift, OpeningHours
from infusion_center.admin_scoping import CenterScopedAdmin, CenterScopedInline, local_time

_ONLY_THEIRS = admin.RelatedOnlyFieldListFilter  # filter choices from the visible rows only


class OpeningHoursInline(CenterScopedInline, admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(CenterScopedInline, admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Center)
class CenterAdmin(CenterScopedAdmin):
    list_display = ["name", "timezone", "slot_minutes", "patients_per_nurse", "starts_per_nurse_per_window"]
    search_fields = ["name"]
    filter_horizontal = ["staff"]
    inlines = [OpeningHoursInline, ClosureInline]


@admin.register(Chair)
class ChairAdmin(CenterScopedAdmin):
    list_display = ["label", "center", "kind", "features", "is_active"]
    list_filter = [("center", _ONLY_THEIRS), "kind", "is_active"]
    search_fields = ["label"]


@admin.register(ChairBlock)
class ChairBlockAdmin(CenterScopedAdmin):
    list_display = ["chair", "local_start", "local_end", "reason"]
    list_filter = [("chair__center", _ONLY_THEIRS)]
    search_fields = ["chair__label", "reason"]
    date_hierarchy = "start"
    list_select_related = ["chair__center"]

    @admin.display(description="start", ordering="start")
    def local_start(self, block):
        return local_time(block, "start")

    @admin.display(description="end", ordering="end")
    def local_end(self, block):
        return local_time(block, "end")


@admin.register(NurseShift)
class NurseShiftAdmin(CenterScopedAdmin):
    list_display = ["nurse", "center", "local_start", "local_end"]
    list_filter = [("center", _ONLY_THEIRS), ("nurse", _ONLY_THEIRS)]
    search_fields = ["nurse__username", "nurse__first_name", "nurse__last_name"]
    date_hierarchy = "start"
    list_select_related = ["center", "nurse"]

    @admin.display(description="start", ordering="start")
    def local_start(self, shift):
        return local_time(shift, "start")

    @admin.display(description="end", ordering="end")
    def local_end(self, shift):
        return local_time(shift, "end")
