from django.apps import AppConfig


class BookingTemplatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "booking_templates"
    verbose_name = "Booking templates"
