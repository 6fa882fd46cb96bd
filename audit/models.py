"""Who read which patient's record (the HIPAA access audit).

django-simple-history already keeps who *changed* what; this table keeps who *looked*. A row is written
for every successful read of a page or API resource that shows one patient's record (see
``audit.middleware``), and rows are never changed or deleted by the application. The patient and user
references carry no database constraint and copy what identifies them, so the trail outlives a
deleted record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    PAGE = "page", "Page"
    API = "api", "API"
    FEED = "feed", "Calendar link"


class PatientAccess(models.Model):
    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True, help_text="Kept even if the user is deleted.")
    patient = models.ForeignKey("patients.Patient", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    what = models.CharField(max_length=60, help_text="What was read, e.g. 'patient record' or 'appointment'.")
    object_id = models.BigIntegerField(null=True, blank=True, help_text="The appointment's id, when one was read.")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    path = models.CharField(max_length=500)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["patient", "-at"], name="audit_patient_at")]
        verbose_name = "patient record access"
        verbose_name_plural = "patient record accesses"

    def __str__(self) -> str:
        return f"{self.username or 'anonymous link'} read {self.what} of patient {self.patient_id} at {self.at}"
