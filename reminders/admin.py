from django.contrib import admin

from infusion_center.admin_scoping import CenterScopedAdmin
from reminders.models import DevelopmentSms, InboundSms, Reminder


@admin.register(Reminder)
class ReminderAdmin(CenterScopedAdmin):
    list_display = ("appointment", "kind", "channel", "status", "due_at", "sent_at", "attempts")
    list_filter = ("status", "channel", ("center", admin.RelatedOnlyFieldListFilter))
    search_fields = ("patient__last_name", "patient__mrn", "provider_message_id")
    raw_id_fields = ("appointment", "patient", "followed_up_by")
    readonly_fields = ("created_at", "updated_at")


@admin.register(InboundSms)
class InboundSmsAdmin(CenterScopedAdmin):
    list_display = ("received_at", "from_number", "action", "outcome")
    list_filter = ("action",)
    raw_id_fields = ("appointment",)


@admin.register(DevelopmentSms)
class DevelopmentSmsAdmin(CenterScopedAdmin):
    list_display = ("created_at", "to", "body")
    raw_id_fields = ("reminder",)
