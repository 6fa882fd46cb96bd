"""FHIR fixtures: a staffed day (tests/api's), token clients, and validation through fhir.resources (R4B models,
which are R4's for every resource type served here)."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B import get_fhir_model_class

from tests.api.conftest import DAY, at, client_for, shift  # noqa: F401  (fixtures)

FHIR_JSON = "application/fhir+json"


def validated(resource: dict) -> dict:
    """The resource parsed by fhir.resources' R4 models and dumped again must be what we sent."""
    model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    again = json.loads(model.model_dump_json())
    assert again == resource, (again, resource)
    return resource


def fhir_get(client, path: str, **params):
    response = client.get(f"/fhir/r4/{path}", params, HTTP_ACCEPT=FHIR_JSON)
    assert response["Content-Type"].startswith(FHIR_JSON)
    return response


def fhir_send(client, method: str, path: str, body: dict, **headers):
    response = getattr(client, method)(
        f"/fhir/r4/{path}", json.dumps(body), content_type=FHIR_JSON, HTTP_ACCEPT=FHIR_JSON, **headers
    )
    assert response["Content-Type"].startswith(FHIR_JSON)
    return response


@pytest.fixture
def engine(nurse):
    """The integration engine: a service account with the nurse's role and token."""
    return client_for(nurse)


@pytest.fixture
def desk_fhir(front_desk):
    return client_for(front_desk)


__all__ = ["DAY", "at", "fhir_get", "fhir_send", "validated"]
