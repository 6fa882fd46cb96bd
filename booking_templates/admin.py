from django.contrib import admin

from booking_templates.models import BookingTemplate


@admin.register(BookingTemplate)
class BookingTemplateAdmin(admin.ModelAdmin):
    """Read-only: versions come from the builder (``manage.py build_templates`` or the nightly task)."""

    list_display = ("center", "weekday", "version", "source", "patients", "solver_status", "created_at")
    list_filter = ("center", "weekday", "source")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
