from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "waitlist"
    verbose_name = "Waitlist and gap fill"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from chairs.models import ChairBlock, NurseShift
        from reminders import services as reminder_services
        from scheduling import services as scheduling_services
        from waitlist import releases
        from waitlist.services import handle_offer_reply

        # Freed chair time is noticed at the one door of each change: the booking service's hook for
        # appointments (cancel, no-show, move) and the models themselves for chair blocks and shifts,
        # which pages, the API and the admin all write.
        if releases.appointment_changed not in scheduling_services.appointment_changed_hooks:
            scheduling_services.appointment_changed_hooks.append(releases.appointment_changed)
        post_delete.connect(releases.chair_block_deleted, sender=ChairBlock, dispatch_uid="waitlist.block_lifted")
        post_save.connect(releases.shift_saved, sender=NurseShift, dispatch_uid="waitlist.shift_added")
        # "YES 4821" replies go to offers; every other reply stays with the reminders.
        if handle_offer_reply not in reminder_services.inbound_reply_handlers:
            reminder_services.inbound_reply_handlers.append(handle_offer_reply)
