from django.apps import AppConfig


class RemindersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reminders"
    verbose_name = "Patient reminders"

    def ready(self) -> None:
        from reminders import signals  # noqa: F401  (connects the patient receiver)
        from reminders.services import sync_reminders
        from scheduling import services as scheduling_services

        # Reminders are planned inside every booking, move and status change (same transaction).
        if sync_reminders not in scheduling_services.appointment_changed_hooks:
            scheduling_services.appointment_changed_hooks.append(sync_reminders)
