from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scheduling"

    def ready(self) -> None:
        from infusion_center.history import build_history_managers_once
        from scheduling import invalidation

        invalidation.connect()
        build_history_managers_once()  # every history row written reads its model's manager
