from django.apps import AppConfig


class RemindersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reminders"
    verbose_name = "Patient reminders"

    def ready(self) -> None:
        from patients import services as patient_services
        from reminders.services import patient_changed, sync_reminders
        from scheduling import services as scheduling_services

        # Reminders are planned inside every booking, move and status change (same transaction).
        if sync_reminders not in scheduling_services.appointment_changed_hooks:
            scheduling_services.appointment_changed_hooks.append(sync_reminders)
        # ... and re-planned when the patient's consent, channel, phone, email or time zone change.
        if patient_changed not in patient_services.patient_changed_hooks:
            patient_services.patient_changed_hooks.append(patient_changed)
