"""The treatment models moved from patients and scheduling without losing a row (or its history)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import CenterFactory, PatientFactory, ProtocolFactory, UserFactory
from treatment.models import Order, PrerequisiteDocument, PriorAuthorization, ProtocolPrerequisite

BEFORE_THE_MOVE = [
    ("patients", "0002_treatment_plans"),
    ("scheduling", "0002_protocol_prerequisites"),
    ("treatment", None),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _history_fields(user) -> dict:
    return {"history_date": timezone.now(), "history_type": "+", "history_user_id": user.pk}


@pytest.mark.django_db(transaction=True)
def test_treatment_rows_and_history_survive_the_move_to_the_treatment_app():
    center = CenterFactory()
    patient = PatientFactory(center=center)
    protocol = ProtocolFactory()
    user = UserFactory()
    old = _migrate(BEFORE_THE_MOVE)

    order = old.get_model("patients", "Order").objects.create(
        patient_id=patient.pk, protocol_id=protocol.pk, ordering_provider="Dr. Okafor",
        dose_count=6, start_date=dt.date(2026, 11, 1), created_by_id=user.pk,
    )  # fmt: skip
    old.get_model("patients", "HistoricalOrder").objects.create(
        id=order.pk, patient_id=patient.pk, protocol_id=protocol.pk, ordering_provider="Dr. Okafor",
        dose_count=6, first_dose_number=1, start_date=dt.date(2026, 11, 1), is_active=True,
        created_at=order.created_at, updated_at=order.updated_at, **_history_fields(user),
    )  # fmt: skip
    authorization = old.get_model("patients", "PriorAuthorization").objects.create(
        patient_id=patient.pk, order_id=order.pk, payer="Acme Health", status="approved",
        approved_from=dt.date(2026, 11, 1), approved_until=dt.date(2027, 4, 30), approved_visits=6,
    )  # fmt: skip
    document = old.get_model("patients", "PrerequisiteDocument").objects.create(
        patient_id=patient.pk, kind="mri", performed_on=dt.date(2026, 11, 20), result="acceptable",
    )  # fmt: skip
    rule = old.get_model("scheduling", "ProtocolPrerequisite").objects.create(
        protocol_id=protocol.pk, kind="mri", applies_to="listed", dose_numbers=[3, 5, 7, 14], window_days=30,
    )  # fmt: skip

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    moved = Order.objects.get(pk=order.pk)
    assert (moved.patient, moved.protocol, moved.ordering_provider, moved.dose_count) == (
        patient, protocol, "Dr. Okafor", 6,
    )  # fmt: skip
    assert list(moved.history.values_list("ordering_provider", "history_user_id")) == [("Dr. Okafor", user.pk)]
    assert PriorAuthorization.objects.get(pk=authorization.pk).order == moved
    assert list(moved.authorizations.all()) == [PriorAuthorization.objects.get(pk=authorization.pk)]
    assert PrerequisiteDocument.objects.get(pk=document.pk).performed_on == dt.date(2026, 11, 20)
    assert ProtocolPrerequisite.objects.get(pk=rule.pk).describe() == "MRI within 30 days before doses 3, 5, 7, 14"
    assert list(protocol.prerequisites.all()) == [ProtocolPrerequisite.objects.get(pk=rule.pk)]


@pytest.mark.django_db
def test_moved_models_keep_their_permissions_under_the_treatment_app():
    ctype = ContentType.objects.get_for_model(Order)
    assert ctype.app_label == "treatment"
    assert not ContentType.objects.filter(app_label="patients", model="order").exists()
