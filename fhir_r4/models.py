"""What the FHIR interface stores beside the scheduling models: the identifiers other systems gave
our appointments (an integration engine's ``Appointment.identifier``), so that a retried create finds
the appointment it already made (``If-None-Exist: identifier=system|value``) and never books twice."""

from __future__ import annotations

from django.db import models

from scheduling.models import Appointment


class AppointmentIdentifier(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="fhir_identifiers")
    system = models.CharField(max_length=255, blank=True)
    value = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "value"], name="fhir_identifier_unique")]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}"
