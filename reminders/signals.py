"""Keep reminders in step with the patient: consent, channel, phone, email or time zone may change."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from patients.models import Patient

WATCHED_FIELDS = {"has_reminder_consent", "reminder_channel", "phone", "email", "timezone", "is_sms_opted_out"}


@receiver(post_save, sender=Patient, dispatch_uid="reminders.patient_saved")
def patient_saved(sender, instance: Patient, created: bool, update_fields=None, raw=False, **kwargs) -> None:
    if created or raw:
        return
    if update_fields is not None and not (set(update_fields) & WATCHED_FIELDS):
        return
    from reminders.services import sync_patient

    with transaction.atomic():
        sync_patient(instance)
