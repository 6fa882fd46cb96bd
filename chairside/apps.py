from django.apps import AppConfig


class ChairsideConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chairside"
    verbose_name = "Chair-side care"
