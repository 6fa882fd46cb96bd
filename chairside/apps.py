from django.apps import AppConfig


class ChairsideConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chairside"
    verbose_name = "Chair-side care"

    def ready(self) -> None:
        from chairside.services import waste_prepared_dose_of_no_show
        from scheduling.services import appointment_changed_hooks

        if waste_prepared_dose_of_no_show not in appointment_changed_hooks:
            appointment_changed_hooks.append(waste_prepared_dose_of_no_show)
