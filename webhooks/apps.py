from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = "Signed event webhooks"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from scheduling import services as scheduling_services
        from treatment import services as treatment_services
        from webhooks.events import appointment_changed, plan_changed, subscription_changed
        from webhooks.models import Subscription

        for signal in (post_save, post_delete):
            signal.connect(subscription_changed, sender=Subscription, dispatch_uid=f"webhooks-cache-{signal}")

        # Outbox rows are written in the same transaction as the change (like reminders) and sent after commit.
        if appointment_changed not in scheduling_services.appointment_changed_hooks:
            scheduling_services.appointment_changed_hooks.append(appointment_changed)
        if plan_changed not in treatment_services.plan_changed_hooks:
            treatment_services.plan_changed_hooks.append(plan_changed)
