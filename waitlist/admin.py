from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from waitlist.models import Offer, Release, WaitlistEntry


class _ReadOnly(admin.ModelAdmin):
    """Read-only in the admin: every change goes through waitlist.services (the pages)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{self.center_path + "__staff": request.user})


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(_ReadOnly, SimpleHistoryAdmin):
    center_path = "center"
    list_display = ("patient", "protocol", "dose_number", "earliest", "latest", "channel", "status")
    list_filter = ("status", "channel")


@admin.register(Offer)
class OfferAdmin(_ReadOnly):
    center_path = "entry__center"
    list_display = ("entry", "start", "channel", "code", "status", "expires_at", "outcome")
    list_filter = ("status", "channel")


@admin.register(Release)
class ReleaseAdmin(_ReadOnly):
    center_path = "center"
    list_display = ("center", "cause", "start", "end", "created_at", "filled_at", "is_open")
    list_filter = ("cause", "is_open")
