"""Property-based fuzzing of every API operation from the OpenAPI schema: the schema is true.

Schemathesis reads /api/v1/schema/ from the WSGI app in-process and sends the schema's examples and
generated requests (valid and invalid) as a nurse, a front-desk user, a center admin and a superuser.
Every response must be no 5xx, have a documented status code and content type, and match the
documented response schema; requests the schema forbids must be refused. Path ids point at real
objects so the operations get past the 404. Examples are few and derandomized so the run is quick and repeatable;
``SCHEMATHESIS_FULL=1`` adds schemathesis' coverage phase (hundreds of boundary cases per operation).
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from tests.factories import (
    AppointmentFactory,
    ChairBlockFactory,
    ChairFactory,
    NurseShiftFactory,
    PatientFactory,
    UserFactory,
)
from treatment.models import Order, PrerequisiteDocument, PriorAuthorization, ProtocolPrerequisite

pytestmark = pytest.mark.django_db

FULL = os.environ.get("SCHEMATHESIS_FULL") == "1"


def _load_schema():
    from infusion_center.wsgi import application

    # Serving the schema needs no database: the view is public and generated from the code.
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": FULL}}})
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", application, config=config)


schema = _load_schema()


@pytest.fixture(autouse=True)
def keep_test_connection():
    """Like Django's test client: keep the test's database connection (and transaction) across requests."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
ROLES = ["nurse", "front_desk", "center_admin", "superuser"]


@pytest.fixture(params=ROLES)
def world(request, center, protocol, nurse):
    """A center with one of everything, and the token of a user of the role who works there."""
    chair = ChairFactory(center=center, label="C01")
    patient = PatientFactory(center=center)
    if request.param == "superuser":
        user = UserFactory(username="root", is_superuser=True, is_staff=True, center=center)
    elif request.param == "nurse":
        user = nurse
    else:
        user = UserFactory(username=f"api.{request.param}", role=request.param, center=center)
    token, _ = Token.objects.get_or_create(user=user)
    order = Order.objects.create(
        patient=patient, protocol=protocol, ordering_provider="Dr. Alvarez", start_date=dt.date(2026, 11, 1)
    )
    ids = {
        "centers": center.pk,
        "chairs": chair.pk,
        "chair-blocks": ChairBlockFactory(chair=chair).pk,
        "shifts": NurseShiftFactory(center=center, nurse=nurse).pk,
        "protocols": protocol.pk,
        "patients": patient.pk,
        "appointments": AppointmentFactory(center=center, chair=chair, patient=patient, protocol=protocol).pk,
        "orders": order.pk,
        "authorizations": PriorAuthorization.objects.create(patient=patient, order=order, payer="Aetna").pk,
        "prerequisite-documents": PrerequisiteDocument.objects.create(
            patient=patient, kind="mri", performed_on=dt.date(2026, 11, 2)
        ).pk,
        "protocol-prerequisites": ProtocolPrerequisite.objects.create(protocol=protocol, kind="mri").pk,
        **_workflow_ids(patient, protocol),
        **_waitlist_ids(center, patient, protocol),
    }
    # Schemathesis's WSGI transport asks for gzip but does not unpack it; compression has its own tests.
    return {"Authorization": f"Token {token.key}", "Accept-Encoding": "identity"}, ids


def _workflow_ids(patient, protocol) -> dict[str, int]:
    """A previous therapy and a step-therapy rule (issue 22's routes; its authorization routes use the one above)."""
    from treatment.models import MedicationHistory, StepTherapyRule

    entry = MedicationHistory.objects.create(patient=patient, therapy="glatiramer acetate", outcome="contraindicated")
    rule = StepTherapyRule.objects.create(payer="Aetna", protocol=protocol, name="Injectable", therapies=["x"])
    return {"medication-history": entry.pk, "step-therapy-rules": rule.pk}


def _waitlist_ids(center, patient, protocol) -> dict[str, int]:
    """A waiting entry (issue 17's routes); no offer is open, so an offer's id is one that does not exist."""
    from waitlist.models import WaitlistEntry

    today = dt.date.today()  # the clock runs here: the window is the weeks around whatever today is
    entry = WaitlistEntry.objects.create(center=center, patient=patient, protocol=protocol, dose_number=2,
                                         earliest=today, latest=today + dt.timedelta(days=28), channel="phone")  # fmt: skip
    return {"waitlist/entries": entry.pk, "waitlist/offers": 987654}


@schema.parametrize()
@settings(
    max_examples=25 if FULL else 6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_response_matches_the_schema(case, world):
    headers, ids = world
    if case.path_parameters and "id" in case.path_parameters:
        parts = case.operation.path.removeprefix("/api/v1/").split("/")
        resource = "/".join(parts[:2]) if parts[0] == "waitlist" else parts[0]
        case.path_parameters["id"] = ids[resource]
    response = case.call(headers=headers)
    case.validate_response(response, checks=CHECKS)
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
