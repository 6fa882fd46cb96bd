"""Writes for patients: every change to a registered patient goes through :func:`update_patient`.

Other apps that depend on a patient's details register a hook in ``patient_changed_hooks``
(reminders does, in ``reminders.apps``: consent, channel, phone, email or time zone may change
which reminders are due and when); the hooks run in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

from chairs.roles import Actor
from patients.models import Patient

# Called with the saved patient after every change (not after registration: a new patient has no
# appointments yet). ``update_fields`` is what changed, or None for "anything".
patient_changed_hooks: list[Callable[..., None]] = []


@transaction.atomic
def update_patient(
    *,
    patient: Patient,
    actor: Actor,
    changes: dict[str, Any] | None = None,
    update_fields: Iterable[str] | None = None,
) -> Patient:
    """Apply ``changes`` (field -> value) to the patient, save it as ``actor`` and tell the hooks.

    ``update_fields`` saves only those fields (e.g. an SMS opt-out); by default every field is saved.
    """
    for field, value in (changes or {}).items():
        setattr(patient, field, value)
    patient._history_user = actor  # type: ignore[attr-defined]  # django-simple-history
    fields = None if update_fields is None else list(update_fields)
    patient.save(update_fields=fields)
    for hook in patient_changed_hooks:
        hook(patient, update_fields=fields)
    return patient
