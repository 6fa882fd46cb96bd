from django.apps import AppConfig


class RegimensConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "regimens"
    verbose_name = "Regimens"
