"""The access audit in the Django admin: read-only, for superusers (center admins use the patient page)."""

from django.contrib import admin

from audit.models import PatientAccess


@admin.register(PatientAccess)
class PatientAccessAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "patient_id", "what", "channel", "ip_address"]
    list_filter = ["channel"]
    search_fields = ["username", "=patient__id", "path"]
    date_hierarchy = "at"

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
