from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ChairsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chairs"
    verbose_name = "Center, chairs and staffing"

    def ready(self) -> None:
        from chairs.roles import ensure_roles

        post_migrate.connect(ensure_roles, dispatch_uid="chairs.ensure_roles")
